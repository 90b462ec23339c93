"""Void holds whose order never completed, delete stale anonymous carts,
and report orders left unpaid.

A periodic job (orders.tasks) runs it every 15 minutes; run it by hand
with other limits. Safe to run twice at once and to repeat (see
orders.services.expire_abandoned). Exits 1 when it finds orders stuck
unpaid, so that a person running it sees them.
"""

from datetime import timedelta

from django.core.management.base import BaseCommand, CommandError

from orders.services import ABANDONED_CART_AGE, ABANDONED_HOLD_GRACE, expire_abandoned


class Command(BaseCommand):
    help = "Void holds without an order, delete abandoned anonymous carts, report unpaid orders."

    def add_arguments(self, parser):
        parser.add_argument("--grace-minutes", type=int, default=ABANDONED_HOLD_GRACE // timedelta(minutes=1),
                            help="how old a hold without an order must be before it is voided")
        parser.add_argument("--cart-days", type=int, default=ABANDONED_CART_AGE.days,
                            help="how long an anonymous cart may stay untouched")

    def handle(self, *args, grace_minutes, cart_days, **options):
        if grace_minutes < 1 or cart_days < 1:
            raise CommandError("--grace-minutes and --cart-days must be at least 1.")
        result = expire_abandoned(hold_grace=timedelta(minutes=grace_minutes), cart_age=timedelta(days=cart_days))
        self.stdout.write(
            f"Voided {len(result.voided_holds)} hold(s) without an order; "
            f"deleted {result.deleted_carts} anonymous cart(s)."
        )
        if result.stuck_orders:
            raise CommandError(f"{len(result.stuck_orders)} order(s) placed but never paid: "
                               + ", ".join(result.stuck_orders))
