"""Storefront- and bureau-side card operations: issuing and reissuing,
linking and unlinking, PIN changes, lost cards, top-ups, balances, refunds
and releasing expired holds."""

import secrets
import string
from collections.abc import Iterable
from datetime import datetime, timedelta

from django.db import transaction
from django.db.models import Q, Sum
from django.utils import timezone
from django.utils.translation import gettext
from django.views.decorators.debug import sensitive_variables

from okryu.luhn import with_check_digit
from okryu.money import format_won
from okryu.notices.models import Event
from okryu.notices.services import notify
from payments import ledger
from payments.gateway import CardClosed, CardLocked, InvalidTransition, check_amount, get_gateway
from payments.models import Account, Card, CardEvent, LedgerEntry, LedgerTransaction, Payment
from payments.numbers import lookup_hash, number_hash

# The bureau's issuer prefix on the national network.
CARD_PREFIX = "9408"
INITIAL_PIN_LENGTH = 6


class AlreadyIssued(Exception):
    """The issue form was sent twice: its card exists (its slip was shown)."""


class CardHasHolds(Exception):
    """Money on the card is held for open payments; ``amount`` says how much."""

    def __init__(self, amount: int):
        super().__init__(amount)
        self.amount = amount


def new_card_number() -> str:
    """A Luhn-valid number under the bureau's prefix that no card, closed
    ones included, has had (the unique hash backs this up)."""
    while True:
        number = with_check_digit(CARD_PREFIX + "".join(secrets.choice(string.digits) for _ in range(11)))
        if not Card.objects.filter(number_hash=number_hash(number)).exists():
            return number


def new_pin() -> str:
    """A random initial PIN, printed on the slip and then only hashed."""
    return "".join(secrets.choice(string.digits) for _ in range(INITIAL_PIN_LENGTH))


@sensitive_variables("pin", "number")
@transaction.atomic
def issue_card(*, holder_name: str, pin: str, owner=None, number: str | None = None, by=None,
               replaces: Card | None = None) -> Card:
    """Create a card with a new Luhn-valid number (or ``number``, for demo
    and test cards) and its two ledger accounts, with an "issued" event (or
    "reissued", naming the card it ``replaces``) by the clerk. The full
    number is on the returned instance only (``Card.set_number``)."""
    card = Card(holder_name=holder_name, owner=owner)
    card.set_number(number or new_card_number())
    card.set_pin(pin)
    card.save()
    Account.objects.bulk_create([Account(kind=kind, card=card) for kind in (Account.Kind.CARD, Account.Kind.HOLD)])
    if replaces is None:
        card.events.create(kind=CardEvent.Kind.ISSUED, to_status=card.status, by=by)
    else:
        card.events.create(kind=CardEvent.Kind.REISSUED, to_status=card.status, by=by,
                           note=gettext("Replaces %(card)s") % {"card": replaces.masked_number})
    return card


@sensitive_variables("pin")
@transaction.atomic
def issue_card_at_counter(*, holder_name: str, owner, opening_top_up: int, pin: str, by,
                          idempotency_key: str) -> Card:
    """Issue a card and put the cash paid at the counter on it, in one
    transaction. The key makes a second submit of the same form issue
    nothing (raises AlreadyIssued), also when both submits run at once."""
    opening_key = f"{idempotency_key}:opening"
    if LedgerTransaction.objects.filter(idempotency_key=opening_key).exists():
        raise AlreadyIssued()
    card = issue_card(holder_name=holder_name, owner=owner, pin=pin, by=by)
    movement = top_up(card=card, amount=opening_top_up, idempotency_key=opening_key, by=by,
                      note=gettext("Opening top-up"))
    if not movement.entries.filter(account__card=card).exists():
        # The twin submit committed first: roll this card back.
        raise AlreadyIssued()
    return card


@transaction.atomic
def top_up(*, card: Card, amount: int, idempotency_key: str, by=None, note: str = "") -> LedgerTransaction:
    """Put cash on the card: the cash account pays the card's available
    account, recorded with who and why, in the ledger and as a card event.
    A replayed key tops up once, also when the replays run at the same
    time (they queue on the card's row), and returns the first movement.
    Raises InvalidAmount, CardClosed (a locked card can be topped up), or
    IdempotencyKeyReused for a key that made a different movement."""
    check_amount(amount)
    card = Card.objects.select_for_update().get(pk=card.pk)
    if card.status == Card.Status.CLOSED:
        raise CardClosed()
    earlier = LedgerTransaction.objects.filter(idempotency_key=idempotency_key).first()
    movement = ledger.post(
        kind=LedgerTransaction.Kind.TOP_UP, amount=amount, note=note, by=by,
        debit=ledger.bureau_account(Account.Kind.CASH), credit=ledger.card_account(card),
        idempotency_key=idempotency_key,
    )
    if earlier is None:
        card.record(CardEvent.Kind.TOPPED_UP, by=by, note=f"{format_won(amount)} · {note}")
    return movement


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
        card = Card.objects.select_for_update().get(number_hash=lookup_hash(card_number))
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
    cards = list(Card.objects.select_for_update().filter(owner=user))
    for card in cards:
        card.record(CardEvent.Kind.UNLINKED, by=user)
    return Card.objects.filter(pk__in=[card.pk for card in cards]).update(owner=None, holder_name="")


@sensitive_variables("old_pin", "new_pin")
def change_pin(*, card: Card, old_pin: str, new_pin: str, by) -> Card:
    """Set a new PIN once the old one is proven. A wrong old PIN counts
    toward the lock like a wrong PIN at checkout (the gateway's check, in
    a transaction of its own), so guessing here is no way round it. Raises
    WrongPin, CardLocked or CardClosed."""
    get_gateway().verify_pin(card_number=card.number_hash, pin=old_pin)
    with transaction.atomic():
        card = Card.objects.select_for_update().get(pk=card.pk)
        if card.status != Card.Status.ACTIVE:
            # Locked or closed since the check: the old PIN no longer opens it.
            raise CardLocked() if card.status == Card.Status.LOCKED else CardClosed()
        card.set_pin(new_pin)
        card.save(update_fields=["pin_hash"])
        card.record(CardEvent.Kind.PIN_CHANGED, by=by)
    return card


@transaction.atomic
def report_card_lost(*, card: Card, by) -> Card:
    """Lock the card at once, no PIN asked (the holder is logged in), and
    tell the holder; a card reported lost already is left as it is.
    Raises InvalidTransition for a closed card."""
    try:
        card = card.report_lost(by=by)
    except InvalidTransition as refused:
        if refused.instance.is_reported_lost():
            return refused.instance
        raise
    reported = card.events.filter(kind=CardEvent.Kind.REPORTED_LOST).latest("pk")
    if card.owner_id:
        notify(recipient=card.owner, event=Event.CARD_LOST, obj_key=f"card-lost:{reported.pk}",
               context={"card": card.masked_number}, link=card.get_absolute_url())
    return card


@transaction.atomic
def unlink_card(*, card: Card, user) -> None:
    """Take the card off the account; the card itself and its money stay as
    they are, and its number and PIN link it again."""
    card = Card.objects.select_for_update().get(pk=card.pk)
    if card.owner_id != user.pk:
        return
    card.owner = None
    card.save(update_fields=["owner"])
    card.record(CardEvent.Kind.UNLINKED, by=user)


@sensitive_variables("pin")
@transaction.atomic
def reissue_card(*, card: Card, pin: str, by) -> Card:
    """Replace a card (lost, as a rule) with a new number and PIN for the
    same holder and account: the old card's balance moves to the new one
    through the ledger, to the won, and the old card is closed for good
    (refunds of its earlier payments go to the new card).
    Raises CardClosed for a card closed already (a second submit reissues
    nothing), CardHasHolds while payments hold money on it (they are
    captured or voided first, so that nothing lands on a closed card)."""
    old = Card.objects.select_for_update().get(pk=card.pk)
    if old.status == Card.Status.CLOSED:
        raise CardClosed()
    # Holds, top-ups and PIN checks take the card's row lock we hold, so
    # the balance cannot move under us.
    balances = card_balances(old)
    if balances["held"]:
        raise CardHasHolds(balances["held"])
    new = issue_card(holder_name=old.holder_name, owner=old.owner, pin=pin, by=by, replaces=old)
    if balances["available"]:
        ledger.post(
            kind=LedgerTransaction.Kind.TRANSFER, amount=balances["available"], by=by,
            debit=ledger.card_account(old), credit=ledger.card_account(new), idempotency_key=f"reissue:{old.pk}",
            note=gettext("Reissued as %(card)s") % {"card": new.masked_number},
        )
    old.close(by=by, note=gettext("Reissued as %(card)s") % {"card": new.masked_number}, replaced_by=new)
    return new


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
