"""Storefront-side card operations: issuing, linking, top-ups, balances."""

import secrets

from django.db import transaction
from django.db.models import Sum

from okryu.luhn import with_check_digit
from payments import ledger
from payments.gateway import get_gateway
from payments.models import Account, Card, CardEvent, LedgerEntry, LedgerTransaction

# The bureau's issuer prefix on the national network.
CARD_PREFIX = "9408"


@transaction.atomic
def issue_card(*, holder_name: str, pin: str, owner=None, number: str | None = None, by=None) -> Card:
    """Create a card with a Luhn-valid number and its two ledger accounts."""
    if number is None:
        number = with_check_digit(CARD_PREFIX + "".join(secrets.choice("0123456789") for _ in range(11)))
    card = Card(number=number, holder_name=holder_name, owner=owner)
    card.set_pin(pin)
    card.save()
    Account.objects.bulk_create([Account(kind=Account.Kind.CARD, card=card), Account(kind=Account.Kind.HOLD, card=card)])
    CardEvent.objects.create(card=card, kind=CardEvent.Kind.ISSUED, by=by)
    return card


def top_up(*, card: Card, amount: int, idempotency_key: str, by=None, note: str = "") -> LedgerTransaction:
    """Put cash on the card. A replayed key tops up once."""
    return ledger.post(
        kind=LedgerTransaction.Kind.TOP_UP, amount=amount, note=note, by=by,
        debit=ledger.bureau_account(Account.Kind.CASH), credit=ledger.card_account(card),
        idempotency_key=idempotency_key,
    )


def card_balances(card: Card) -> dict[str, int]:
    """Available, held and total, summed from the ledger entries themselves."""
    sums = dict(
        LedgerEntry.objects.filter(account__card=card)
        .values_list("account__kind")
        .annotate(total=Sum("amount"))
    )
    available = sums.get(Account.Kind.CARD, 0)
    held = sums.get(Account.Kind.HOLD, 0)
    return {"available": available, "held": held, "balance": available + held}


@transaction.atomic
def unlock_card(*, card: Card, by) -> None:
    card = Card.objects.select_for_update().get(pk=card.pk)
    if card.status != Card.Status.LOCKED:
        return
    card.status = Card.Status.ACTIVE
    card.failed_pin_attempts = 0
    card.save(update_fields=["status", "failed_pin_attempts"])
    CardEvent.objects.create(card=card, kind=CardEvent.Kind.UNLOCKED, by=by)


class CardTaken(Exception):
    """The card is linked to another account."""


def link_card(*, user, card_number: str, pin: str) -> Card:
    """Link a card to the account once its PIN is proven.

    Raises the gateway's PaymentError subclasses for an unknown card or a
    wrong PIN (which counts toward locking), CardTaken for someone else's card.
    """
    get_gateway().verify_pin(card_number=card_number, pin=pin)
    with transaction.atomic():
        card = Card.objects.select_for_update().get(number=card_number)
        if card.owner_id not in (None, user.pk):
            raise CardTaken()
        if card.owner_id is None:
            card.owner = user
            card.save(update_fields=["owner"])
            CardEvent.objects.create(card=card, kind=CardEvent.Kind.LINKED, by=user)
    return card


def statement(card: Card):
    """The card's own ledger entries, newest first."""
    return (
        LedgerEntry.objects.filter(account__card=card, account__kind=Account.Kind.CARD)
        .select_related("transaction")
        .order_by("-transaction__created_at", "-id")
    )
