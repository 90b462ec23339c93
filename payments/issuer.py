"""The issuer side of the e-card network, kept in this database: PIN checks,
holds, captures, voids and refunds, all through the ledger."""

from datetime import timedelta

from django.db import transaction
from django.utils import timezone

from okryu.luhn import luhn_checksum_ok
from payments import ledger
from payments.gateway import (
    CardClosed, CardLocked, Gateway, InsufficientFunds, InvalidAmount, UnknownCard, WrongPin,
)
from payments.models import Account, Card, CardEvent, LedgerTransaction, Payment

HOLD_LIFETIME = timedelta(days=7)


class LocalIssuer(Gateway):
    def verify_pin(self, *, card_number: str, pin: str) -> None:
        """Check the PIN in a transaction of its own, so that a wrong PIN
        counts even when the caller's work is rolled back. The fifth wrong
        PIN in a row locks the card."""
        with transaction.atomic():
            card = self._locked_card(card_number)
            self._check_status(card)
            if card.pin_matches(pin):
                if card.failed_pin_attempts:
                    card.failed_pin_attempts = 0
                    card.save(update_fields=["failed_pin_attempts"])
                return
            card.failed_pin_attempts += 1
            CardEvent.objects.create(card=card, kind=CardEvent.Kind.PIN_FAILED)
            if card.failed_pin_attempts >= Card.MAX_PIN_FAILURES:
                card.status = Card.Status.LOCKED
                CardEvent.objects.create(card=card, kind=CardEvent.Kind.LOCKED)
            card.save(update_fields=["failed_pin_attempts", "status"])
        raise WrongPin()

    @transaction.atomic
    def authorize(self, *, card_number: str, pin: str, amount: int, reference: str, idempotency_key: str) -> Payment:
        """Hold ``amount`` on the card. A replayed key returns the first payment."""
        if amount <= 0:
            raise InvalidAmount()
        existing = Payment.objects.filter(idempotency_key=idempotency_key).first()
        if existing is not None:
            return existing
        card = self._locked_card(card_number)
        self._check_status(card)
        if not card.pin_matches(pin):
            raise WrongPin()
        available = ledger.card_account(card)
        if available.balance < amount:
            raise InsufficientFunds()
        payment = Payment.objects.create(
            reference=reference, card=card, idempotency_key=idempotency_key, authorized=amount,
            hold_expires_at=timezone.now() + HOLD_LIFETIME,
        )
        ledger.post(
            kind=LedgerTransaction.Kind.HOLD, amount=amount, payment=payment,
            debit=available, credit=ledger.card_account(card, Account.Kind.HOLD),
            idempotency_key=f"{idempotency_key}:hold",
        )
        return payment

    @transaction.atomic
    def capture(self, payment: Payment, amount: int | None = None) -> Payment:
        """Take ``amount`` (all of the hold by default) as revenue and release
        the rest. Capturing a captured payment again changes nothing."""
        payment = Payment.objects.select_for_update().get(pk=payment.pk)
        if payment.status != Payment.Status.AUTHORIZED:
            return payment
        amount = payment.authorized if amount is None else amount
        if not 0 < amount <= payment.authorized:
            raise InvalidAmount()
        hold = ledger.card_account(payment.card, Account.Kind.HOLD)
        ledger.post(
            kind=LedgerTransaction.Kind.CAPTURE, amount=amount, payment=payment,
            debit=hold, credit=ledger.bureau_account(Account.Kind.REVENUE),
            idempotency_key=f"{payment.idempotency_key}:capture",
        )
        if amount < payment.authorized:
            ledger.post(
                kind=LedgerTransaction.Kind.RELEASE, amount=payment.authorized - amount, payment=payment,
                debit=hold, credit=ledger.card_account(payment.card),
                idempotency_key=f"{payment.idempotency_key}:release",
            )
        payment.captured = amount
        payment.status = Payment.Status.CAPTURED
        payment.save(update_fields=["captured", "status"])
        return payment

    @transaction.atomic
    def void(self, payment: Payment) -> Payment:
        """Release the whole hold. Voiding a voided payment changes nothing."""
        payment = Payment.objects.select_for_update().get(pk=payment.pk)
        if payment.status != Payment.Status.AUTHORIZED:
            return payment
        ledger.post(
            kind=LedgerTransaction.Kind.RELEASE, amount=payment.authorized, payment=payment,
            debit=ledger.card_account(payment.card, Account.Kind.HOLD), credit=ledger.card_account(payment.card),
            idempotency_key=f"{payment.idempotency_key}:release",
        )
        payment.status = Payment.Status.VOIDED
        payment.save(update_fields=["status"])
        return payment

    @transaction.atomic
    def refund(self, payment: Payment, amount: int, *, idempotency_key: str, by=None) -> Payment:
        """Give back up to what was captured and not yet refunded."""
        payment = Payment.objects.select_for_update().get(pk=payment.pk)
        if LedgerTransaction.objects.filter(idempotency_key=idempotency_key).exists():
            return payment
        if payment.status not in (Payment.Status.CAPTURED, Payment.Status.PARTLY_REFUNDED):
            raise InvalidAmount()
        if not 0 < amount <= payment.captured - payment.refunded:
            raise InvalidAmount()
        ledger.post(
            kind=LedgerTransaction.Kind.REFUND, amount=amount, payment=payment, by=by,
            debit=ledger.bureau_account(Account.Kind.REVENUE), credit=ledger.card_account(payment.card),
            idempotency_key=idempotency_key,
        )
        payment.refunded += amount
        payment.status = (
            Payment.Status.REFUNDED if payment.refunded == payment.captured else Payment.Status.PARTLY_REFUNDED
        )
        payment.save(update_fields=["refunded", "status"])
        return payment

    @staticmethod
    def _locked_card(card_number: str) -> Card:
        if not luhn_checksum_ok(card_number):
            raise UnknownCard()
        card = Card.objects.select_for_update().filter(number=card_number).first()
        if card is None:
            raise UnknownCard()
        return card

    @staticmethod
    def _check_status(card: Card) -> None:
        if card.status == Card.Status.LOCKED:
            raise CardLocked()
        if card.status == Card.Status.CLOSED:
            raise CardClosed()
