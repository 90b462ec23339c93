"""Void the holds of payments that were authorized but never captured.

A periodic job (payments.tasks) runs it every few minutes; run it by hand
for --older-than. Safe to run twice at once and to repeat:
each payment is claimed with SKIP LOCKED and voided at most once.

--older-than HOURS also voids authorized payments made more than HOURS
ago, before their hold expires (e.g. to free customers' money after an
outage). Whether a hold still has a live order behind it is not known
here (payments knows nothing of orders): holds without an order are for
the orders side to find and void.
"""

from datetime import timedelta

from django.core.management.base import BaseCommand, CommandError

from payments.services import release_expired_holds


class Command(BaseCommand):
    help = "Void authorized payments whose hold has expired (or, with --older-than, that are older)."

    def add_arguments(self, parser):
        parser.add_argument(
            "--older-than", type=int, metavar="HOURS",
            help="also void authorized payments made more than HOURS hours ago",
        )

    def handle(self, *args, older_than=None, **options):
        if older_than is not None and older_than < 1:
            raise CommandError("--older-than must be at least 1 hour.")
        released = release_expired_holds(older_than=None if older_than is None else timedelta(hours=older_than))
        self.stdout.write(f"Released {released} expired hold(s).")
