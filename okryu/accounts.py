"""Erasing an account: the person's data goes, the books stay.

The account row itself is kept, emptied and closed, because orders,
payments and stays refer to it for the books (``on_delete=PROTECT``). The
core imports no app, so each app that keeps something personal about a
customer answers ``account_erased`` (its ``accounts.py``, connected in its
AppConfig) inside the same transaction: all of it is erased, or none."""

from axes.models import AccessAttempt, AccessFailureLog, AccessLog
from django.contrib.admin.models import LogEntry
from django.contrib.contenttypes.models import ContentType
from django.db import transaction
from django.dispatch import Signal
from django.utils.translation import gettext as _

from okryu.models import PasswordResetCode, User
from okryu.notices.models import Notice, SmsMessage, SmsOptOut

# Sent with ``user`` while the account is being erased, in its transaction;
# a receiver that raises AccountNotErasable stops the whole erasure.
account_erased = Signal()


class AccountNotErasable(Exception):
    """Not now, and why, in words for the person: a staff account is closed
    in the admin, and an app refuses while it still owes the customer
    something (an order on its way, a stay to come)."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


def erase_account(*, user: User) -> None:
    """Remove the person's name, phone, addresses and messages everywhere,
    keep orders, payments and ledger rows (without the name) for the books,
    unlink their cards, and make the account unusable: it can no longer
    log in, and its username is free again. Raises AccountNotErasable, with
    nothing changed, when the account cannot go yet."""
    if user.is_staff:
        raise AccountNotErasable(_("A staff account is closed by the bureau's administrator, not here."))
    with transaction.atomic():
        user = User.objects.select_for_update().get(pk=user.pk)
        old_username = user.username
        account_erased.send(sender=User, user=user)
        PasswordResetCode.objects.filter(user=user).delete()
        Notice.objects.filter(recipient=user).delete()
        SmsMessage.objects.filter(recipient=user).delete()
        SmsOptOut.objects.filter(user=user).delete()
        for model in (AccessAttempt, AccessFailureLog, AccessLog):
            model.objects.filter(username=old_username).delete()
        LogEntry.objects.filter(content_type=ContentType.objects.get_for_model(User),
                                object_id=str(user.pk)).delete()
        user.username = f"erased-{user.pk}"
        user.first_name = user.last_name = user.email = user.phone = ""
        user.is_active = False
        user.set_unusable_password()
        # Its other sessions end with it: an inactive account with a new
        # password hash no longer authenticates a session.
        user.save()

