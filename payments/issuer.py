"""The issuer side of the e-card network, kept in this database: PIN checks,
holds, captures, voids and refunds, all through the ledger.

Locks are always taken in one order: the card row (PIN checks and holds),
else the payment row (capture, void, refund); then ledger accounts in id
order. Nothing locks a card or a payment while holding an account, so no
two operations can wait on each other in a cycle.
"""

from datetime import timedelta

from django.core import signing
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.views.decorators.debug import sensitive_variables

from okryu.notices.models import Event
from okryu.notices.services import notify
from payments import ledger
from payments.gateway import (
    CardClosed,
    CardLocked,
    Gateway,
    IdempotencyKeyReused,
    InsufficientFunds,
    InvalidAmount,
    InvalidCardNumber,
    InvalidTransition,
    PinCheckExpired,
    RefundTooLarge,
    UnknownCard,
    WrongPin,
    check_amount,
)
from payments.models import Account, Card, CardEvent, LedgerTransaction, Payment, PaymentEvent
from payments.numbers import NotACardNumber, lookup_hash

HOLD_LIFETIME = timedelta(days=7)
# A PIN check's proof is signed for its card and good for this long: longer
# than a checkout's transaction, far shorter than a session.
PIN_CHECK_LIFETIME = timedelta(minutes=5)
PIN_CHECK_SALT = "payments.issuer.pin-check"


class LocalIssuer(Gateway):
    @sensitive_variables("pin")
    def verify_pin(self, *, card_number: str, pin: str) -> str:
        """Check the PIN in a transaction of its own, so that a wrong PIN
        counts even when the caller's work is rolled back (call it outside
        the caller's transaction for that). Wrong PINs queue on the card's
        row lock: the fifth wrong PIN in a row locks the card, and later
        ones find it locked, so the counter never passes five. A right one
        returns the check's proof: the card's lookup hash, signed with the
        time (PIN_CHECK_LIFETIME)."""
        with transaction.atomic():
            card = self._locked_card(card_number)
            self._check_status(card)
            if card.pin_matches(pin):
                changed = ["failed_pin_attempts"] if card.failed_pin_attempts else []
                card.failed_pin_attempts = 0
                if not card.pin_is_keyed:
                    card.set_pin(pin)
                    changed.append("pin_hash")
                if changed:
                    card.save(update_fields=changed)
                return signing.dumps(card.number_hash, salt=PIN_CHECK_SALT)
            card.failed_pin_attempts += 1
            card.save(update_fields=["failed_pin_attempts"])
            card.record(CardEvent.Kind.PIN_FAILED)
            if card.failed_pin_attempts >= Card.MAX_PIN_FAILURES:
                card = card.lock()
                if card.owner_id:
                    locked = card.events.filter(kind=CardEvent.Kind.LOCKED).latest("pk")
                    notify(recipient=card.owner, event=Event.CARD_LOCKED, obj_key=f"card-lock:{locked.pk}",
                           context={"card": card}, link=card.get_absolute_url())
        raise WrongPin()

    @sensitive_variables("pin", "pin_check")
    def authorize(self, *, card_number: str, amount: int, reference: str, idempotency_key: str,
                  pin: str | None = None, pin_check: str | None = None) -> Payment:
        """Hold ``amount`` on the card: the card's available account pays
        into its hold account. The PIN is verified first (a wrong one
        counts), unless ``pin_check`` proves verify_pin did it for this card
        (PinCheckExpired otherwise; it hashes no PIN). A replayed key returns
        the first payment, also when replays run at the same time; the same
        key with another card, amount or reference raises
        IdempotencyKeyReused."""
        check_amount(amount)
        if pin_check is None:
            # A replay hashes no PIN and counts no wrong one.
            replay = self._replayed_authorization(idempotency_key, card_number, amount, reference)
            if replay is not None:
                return replay
            pin_check = self.verify_pin(card_number=card_number, pin=pin)
        with transaction.atomic():
            card = self._locked_card(card_number)
            self._check_pin_check(card, pin_check)
            self._check_status(card)
            try:
                with transaction.atomic():
                    payment = Payment.objects.create(
                        reference=reference, card=card, idempotency_key=idempotency_key, authorized=amount,
                        hold_expires_at=timezone.now() + HOLD_LIFETIME,
                    )
            except IntegrityError:
                # A replay: queued on this card's lock, or the same key on
                # another card's lock won the race. The first one's payment is theirs.
                replay = self._replayed_authorization(idempotency_key, card_number, amount, reference)
                if replay is None:
                    raise
                return replay
            available, hold = ledger.card_accounts(card)
            # Only holds take money out of the available account, and holds
            # take the card's lock, so this balance cannot drop under us. A
            # refusal takes the new payment back with this block.
            if available.balance < amount:
                raise InsufficientFunds()
            ledger.post(
                kind=LedgerTransaction.Kind.HOLD, amount=amount, payment=payment,
                debit=available, credit=hold, idempotency_key=f"{idempotency_key}:hold",
            )
            PaymentEvent.objects.create(payment=payment, to_status=Payment.Status.AUTHORIZED, amount=amount)
        return payment

    @transaction.atomic
    def capture(self, payment: Payment, amount: int | None = None, *, by=None) -> Payment:
        """Take ``amount`` (all of the hold by default) as revenue and release
        the rest to the card. A payment is captured once: capturing it again
        returns it unchanged, whatever the amount; a voided one raises
        InvalidTransition."""
        payment = Payment.objects.select_for_update().get(pk=payment.pk)
        if payment.captured:
            return payment
        if not payment.allows(Payment.Status.CAPTURED):
            raise InvalidTransition(payment, Payment.Status.CAPTURED)
        amount = payment.authorized if amount is None else amount
        check_amount(amount)
        if amount > payment.authorized:
            raise InvalidAmount()
        available, hold = ledger.card_accounts(payment.card)
        revenue = ledger.bureau_account(Account.Kind.REVENUE)
        ledger.lock_accounts(hold, available, revenue)
        ledger.post(
            kind=LedgerTransaction.Kind.CAPTURE, amount=amount, payment=payment, by=by,
            debit=hold, credit=revenue, idempotency_key=f"{payment.idempotency_key}:capture",
        )
        if amount < payment.authorized:
            ledger.post(
                kind=LedgerTransaction.Kind.RELEASE, amount=payment.authorized - amount, payment=payment, by=by,
                debit=hold, credit=available, idempotency_key=f"{payment.idempotency_key}:release",
            )
        return payment.change_status(Payment.Status.CAPTURED, amount=amount, by=by, locked=True, captured=amount)

    @transaction.atomic
    def void(self, payment: Payment, *, by=None, note: str = "") -> Payment:
        """Release the whole hold of an authorized payment. Voiding a voided
        payment returns it unchanged; a captured one raises InvalidTransition
        (give money back with a refund)."""
        payment = Payment.objects.select_for_update().get(pk=payment.pk)
        if payment.status == Payment.Status.VOIDED:
            return payment
        if not payment.allows(Payment.Status.VOIDED):
            raise InvalidTransition(payment, Payment.Status.VOIDED)
        available, hold = ledger.card_accounts(payment.card)
        ledger.post(
            kind=LedgerTransaction.Kind.RELEASE, amount=payment.authorized, payment=payment, by=by, note=note,
            debit=hold, credit=available,
            idempotency_key=f"{payment.idempotency_key}:release",
        )
        return payment.change_status(Payment.Status.VOIDED, amount=payment.authorized, by=by, note=note, locked=True)

    @transaction.atomic
    def refund(self, payment: Payment, amount: int, *, idempotency_key: str, by=None) -> Payment:
        """Give back ``amount`` of what was captured and not yet refunded,
        from revenue to the card. A replayed key refunds nothing more and
        returns the payment as it is now; a key used for anything else
        raises IdempotencyKeyReused. More than is left raises RefundTooLarge;
        a payment not captured raises InvalidTransition. The money goes to
        the card that replaced the payment's card, if it was reissued."""
        payment = Payment.objects.select_for_update().get(pk=payment.pk)
        # Replays of one key queue on the payment's lock and find the first one's movement.
        earlier = LedgerTransaction.objects.filter(idempotency_key=idempotency_key).first()
        if earlier is not None:
            if (earlier.kind, earlier.payment_id, earlier.amount) != (
                LedgerTransaction.Kind.REFUND, payment.pk, amount
            ):
                raise IdempotencyKeyReused()
            return payment
        check_amount(amount)
        refunded = payment.refunded + amount
        status = Payment.Status.REFUNDED if refunded == payment.captured else Payment.Status.PARTLY_REFUNDED
        if not payment.allows(status):
            raise InvalidTransition(payment, status)
        if refunded > payment.captured:
            raise RefundTooLarge()
        revenue = ledger.bureau_account(Account.Kind.REVENUE)
        # A card reissued since the payment is closed: its successor gets the money.
        available = ledger.card_account(payment.card.current())
        ledger.post(
            kind=LedgerTransaction.Kind.REFUND, amount=amount, payment=payment, by=by,
            debit=revenue, credit=available, idempotency_key=idempotency_key,
        )
        return payment.change_status(status, amount=amount, by=by, locked=True, refunded=refunded)

    @staticmethod
    def _replayed_authorization(idempotency_key: str, card_number: str, amount: int, reference: str):
        payment = Payment.objects.select_related("card").filter(idempotency_key=idempotency_key).first()
        if payment is None:
            return None
        try:
            same_card = payment.card.number_hash == lookup_hash(card_number)
        except NotACardNumber:
            same_card = False
        if not same_card or (payment.authorized, payment.reference) != (amount, reference):
            raise IdempotencyKeyReused()
        return payment

    @staticmethod
    def _locked_card(card_number: str) -> Card:
        try:
            key = lookup_hash(card_number)
        except NotACardNumber:
            raise InvalidCardNumber() from None
        card = Card.objects.select_for_update().filter(number_hash=key).first()
        if card is None:
            raise UnknownCard()
        return card

    @staticmethod
    @sensitive_variables("pin_check")
    def _check_pin_check(card: Card, pin_check: str) -> None:
        try:
            checked = signing.loads(pin_check, salt=PIN_CHECK_SALT, max_age=PIN_CHECK_LIFETIME)
        except signing.BadSignature:  # SignatureExpired included
            raise PinCheckExpired() from None
        if checked != card.number_hash:
            raise PinCheckExpired()

    @staticmethod
    def _check_status(card: Card) -> None:
        if card.status == Card.Status.LOCKED:
            raise CardLocked()
        if card.status == Card.Status.CLOSED:
            raise CardClosed()
