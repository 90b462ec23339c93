"""Storefront- and bureau-side card operations: issuing, linking, top-ups,
balances, refunds and releasing expired holds."""

import secrets
from collections.abc import Iterable
from datetime import datetime, timedelta

from django.db import transaction
from django.db.models import Q, Sum
from django.utils import timezone
from django.views.decorators.debug import sensitive_variables

from okryu.luhn import with_check_digit
from payments import ledger
from payments.gateway import CardClosed, InvalidTransition, check_amount, get_gateway
from payments.models import Account, Card, CardEvent, LedgerEntry, LedgerTransaction, Payment

# The bureau's issuer prefix on the national network.
CARD_PREFIX = "9408"


@sensitive_variables("pin")
@transaction.atomic
def issue_card(*, holder_name: str, pin: str, owner=None, number: str | None = None, by=None) -> Card:
    """Create a card with a Luhn-valid number and its two ledger accounts."""
    if number is None:
        number = with_check_digit(CARD_PREFIX + "".join(secrets.choice("0123456789") for _ in range(11)))
    card = Card(number=number, holder_name=holder_name, owner=owner)
    card.set_pin(pin)
    card.save()
    Account.objects.bulk_create([Account(kind=kind, card=card) for kind in (Account.Kind.CARD, Account.Kind.HOLD)])
    card.events.create(kind=CardEvent.Kind.ISSUED, to_status=card.status, by=by)
    return card


def top_up(*, card: Card, amount: int, idempotency_key: str, by=None, note: str = "") -> LedgerTransaction:
    """Put cash on the card: the cash account pays the card's available
    account, recorded with who and why. A replayed key tops up once, also
    when the replays run at the same time, and returns the first movement.
    Raises InvalidAmount, CardClosed (a locked card can be topped up), or
    IdempotencyKeyReused for a key that made a different movement."""
    check_amount(amount)
    if Card.objects.filter(pk=card.pk, status=Card.Status.CLOSED).exists():
        raise CardClosed()
    return ledger.post(
        kind=LedgerTransaction.Kind.TOP_UP, amount=amount, note=note, by=by,
        debit=ledger.bureau_account(Account.Kind.CASH), credit=ledger.card_account(card),
        idempotency_key=idempotency_key,
    )


def card_balances(card: Card) -> dict[str, int]:
    """Available, held and total, summed from the ledger entries themselves."""
    return balances_by_card([card])[card.pk]


def balances_by_card(cards: Iterable[Card]) -> dict[int, dict[str, int]]:
    """``card_balances`` for many cards in one query, keyed by card id."""
    ids = [card.pk for card in cards]
    sums = {card_id: {Account.Kind.CARD: 0, Account.Kind.HOLD: 0} for card_id in ids}
    rows = (
        LedgerEntry.objects.filter(account__card__in=ids)
        .values_list("account__card", "account__kind")
        .annotate(total=Sum("amount"))
        .order_by()
    )
    for card_id, kind, total in rows:
        sums[card_id][kind] = total
    return {
        card_id: {"available": kinds[Account.Kind.CARD], "held": kinds[Account.Kind.HOLD],
                  "balance": kinds[Account.Kind.CARD] + kinds[Account.Kind.HOLD]}
        for card_id, kinds in sums.items()
    }


def unlock_card(*, card: Card, by) -> bool:
    """Unlock a card locked by wrong PINs and reset the counter, recording
    who did it. A card that is not locked is left alone (returns False)."""
    try:
        card.unlock(by=by)
    except InvalidTransition:
        return False
    return True


class CardTaken(Exception):
    """The card is linked to another account."""


@sensitive_variables("pin")
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
            card.record(CardEvent.Kind.LINKED, by=user)
    return card


def unlink_cards_of(*, user) -> int:
    """Unlink every card from an account being erased, and forget the
    holder's name on them. Each card keeps its balance and its PIN: the
    person holding it can still pay with it, or link it to a new account."""
    return Card.objects.filter(owner=user).update(owner=None, holder_name="")


def statement(card: Card):
    """The movements of the card's available account, newest first: top-ups,
    holds (negative), releases, refunds."""
    return (
        LedgerEntry.objects.filter(account__card=card, account__kind=Account.Kind.CARD)
        .select_related("transaction__payment", "transaction__by")
        .order_by("-transaction__created_at", "-id")
    )


def refund_payment(*, payment: Payment, amount: int, by, idempotency_key: str) -> Payment:
    """Refund part or all of a captured payment through the gateway; for the
    orders admin. Idempotent on the key: a replay refunds nothing more.
    Raises RefundTooLarge, InvalidAmount, InvalidTransition (not captured)
    or IdempotencyKeyReused, all PaymentErrors with a message for staff.
    Permission checks (``payments.refund_payment``) are the caller's."""
    return get_gateway().refund(payment, amount, idempotency_key=idempotency_key, by=by)


def release_expired_holds(*, now: datetime | None = None, older_than: timedelta | None = None) -> int:
    """Void authorized payments whose hold has expired, or (with
    ``older_than``) that were authorized longer ago than that; return how
    many this call voided. Each payment is claimed with SKIP LOCKED in a
    transaction of its own, so two runs at once share the work instead of
    waiting, and a payment captured meanwhile is simply not authorized any
    more. Running it again voids nothing twice."""
    now = now or timezone.now()
    due = Q(hold_expires_at__lte=now)
    if older_than is not None:
        due |= Q(created_at__lte=now - older_than)
    gateway = get_gateway()
    released = 0
    while True:
        with transaction.atomic():
            payment = (
                Payment.objects.filter(due, status=Payment.Status.AUTHORIZED)
                .select_for_update(skip_locked=True).order_by("pk").first()
            )
            if payment is None:
                return released
            gateway.void(payment, note="hold expired")
            released += 1
