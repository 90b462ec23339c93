"""The local issuer through the gateway interface: bad input, replays,
transitions and the events they leave."""

import time
from unittest import mock

import pytest
from django.core import signing
from django.db import IntegrityError, transaction

from okryu.luhn import with_check_digit
from payments import services
from payments.gateway import (
    CardClosed,
    CardLocked,
    IdempotencyKeyReused,
    InsufficientFunds,
    InvalidAmount,
    InvalidCardNumber,
    InvalidTransition,
    PinCheckExpired,
    RefundTooLarge,
    UnknownCard,
    WrongPin,
)
from payments.issuer import PIN_CHECK_LIFETIME, PIN_CHECK_SALT
from payments.models import Account, Card, LedgerEntry, LedgerTransaction, Payment
from tests.factories import PIN, card, user

pytestmark = pytest.mark.django_db


def authorize(gateway, the_card, amount=3_000, key="k1", pin=PIN, reference="ORDER-1"):
    return gateway.authorize(card_number=the_card.number, pin=pin, amount=amount, reference=reference,
                             idempotency_key=key)


def nothing_held(the_card):
    return (services.card_balances(the_card)["held"], Payment.objects.filter(card=the_card).count()) == (0, 0)


class TestBadInputHoldsNothing:
    def test_it_refuses_a_wrong_pin(self, gateway):
        funded = card()
        with pytest.raises(WrongPin):
            authorize(gateway, funded, pin="9999")
        assert nothing_held(funded)
        funded.refresh_from_db()
        assert funded.failed_pin_attempts == 1

    def test_it_refuses_an_unknown_card(self, gateway):
        with pytest.raises(UnknownCard):
            gateway.authorize(card_number=with_check_digit("940899999999999"), pin=PIN, amount=1,
                              reference="R", idempotency_key="k")
        assert not Payment.objects.exists()

    @pytest.mark.parametrize("number", ["4000000000000001", "94080000000001", "abcd", "", None])
    def test_it_refuses_a_bad_number(self, gateway, number):
        with pytest.raises(InvalidCardNumber):
            gateway.authorize(card_number=number, pin=PIN, amount=1, reference="R", idempotency_key="k")
        assert not Payment.objects.exists()

    def test_it_refuses_more_than_is_available(self, gateway):
        funded = card(balance=2_999)
        with pytest.raises(InsufficientFunds):
            authorize(gateway, funded, amount=3_000)
        assert nothing_held(funded)

    @pytest.mark.parametrize(("status", "error"), [(Card.Status.LOCKED, CardLocked), (Card.Status.CLOSED, CardClosed)])
    def test_it_refuses_a_card_that_is_not_active_even_with_the_right_pin(self, gateway, status, error):
        funded = card()
        Card.objects.filter(pk=funded.pk).update(status=status)
        with pytest.raises(error):
            authorize(gateway, funded)
        assert nothing_held(funded)

    def test_a_closed_card_cannot_be_topped_up(self):
        funded = card(balance=0)
        Card.objects.filter(pk=funded.pk).update(status=Card.Status.CLOSED)
        with pytest.raises(CardClosed):
            services.top_up(card=funded, amount=1_000, idempotency_key="t")
        assert services.card_balances(funded)["available"] == 0

    @pytest.mark.parametrize("amount", [0, -1, -5_000, True, 10.5, "100", 10**13])
    def test_it_refuses_an_amount_that_is_not_positive_whole_won(self, gateway, amount):
        funded = card()
        with pytest.raises(InvalidAmount):
            authorize(gateway, funded, amount=amount)
        with pytest.raises(InvalidAmount):
            services.top_up(card=funded, amount=amount, idempotency_key="t")
        assert nothing_held(funded)
        assert LedgerTransaction.objects.filter(idempotency_key="t").count() == 0

    def test_five_wrong_pins_lock_the_card_and_the_right_one_no_longer_helps(self, gateway):
        funded = card()
        for _ in range(Card.MAX_PIN_FAILURES):
            with pytest.raises(WrongPin):
                gateway.verify_pin(card_number=funded.number, pin="0000")
        with pytest.raises(CardLocked):
            gateway.verify_pin(card_number=funded.number, pin=PIN)
        funded.refresh_from_db()
        assert (funded.status, funded.failed_pin_attempts) == (Card.Status.LOCKED, 5)

    def test_the_right_pin_resets_the_count(self, gateway):
        funded = card()
        for _ in range(4):
            with pytest.raises(WrongPin):
                gateway.verify_pin(card_number=funded.number, pin="0000")
        gateway.verify_pin(card_number=funded.number, pin=PIN)
        funded.refresh_from_db()
        assert (funded.status, funded.failed_pin_attempts) == (Card.Status.ACTIVE, 0)


class TestReplays:
    def test_a_replayed_authorization_returns_the_first_payment(self, gateway):
        funded = card(balance=10_000)
        first = authorize(gateway, funded)
        again = authorize(gateway, funded)
        assert again.pk == first.pk
        assert services.card_balances(funded) == {"available": 7_000, "held": 3_000, "balance": 10_000}

    def test_a_key_reused_for_another_amount_is_refused(self, gateway):
        funded = card(balance=10_000)
        authorize(gateway, funded, amount=3_000)
        with pytest.raises(IdempotencyKeyReused):
            authorize(gateway, funded, amount=4_000)
        assert services.card_balances(funded)["held"] == 3_000

    def test_capture_void_and_refund_replays_move_nothing_twice(self, gateway):
        funded = card(balance=10_000)
        payment = authorize(gateway, funded, amount=6_000)
        gateway.capture(payment, 5_000)
        assert gateway.capture(payment, 1_000).captured == 5_000
        services.refund_payment(payment=payment, amount=2_000, by=None, idempotency_key="r1")
        again = services.refund_payment(payment=payment, amount=2_000, by=None, idempotency_key="r1")
        assert (again.refunded, again.status) == (2_000, Payment.Status.PARTLY_REFUNDED)
        with pytest.raises(IdempotencyKeyReused):
            services.refund_payment(payment=payment, amount=3_000, by=None, idempotency_key="r1")
        assert services.card_balances(funded)["available"] == 10_000 - 5_000 + 2_000
        assert Account.objects.get(kind=Account.Kind.REVENUE).balance == 3_000

        voided = authorize(gateway, funded, amount=1_000, key="k2")
        gateway.void(voided)
        gateway.void(voided)
        assert LedgerTransaction.objects.filter(payment=voided, kind=LedgerTransaction.Kind.RELEASE).count() == 1

    def test_a_replayed_top_up_tops_up_once(self):
        target = card(balance=0)
        first = services.top_up(card=target, amount=5_000, idempotency_key="cash-1")
        assert services.top_up(card=target, amount=5_000, idempotency_key="cash-1").pk == first.pk
        assert services.card_balances(target)["available"] == 5_000


class TestTransitions:
    def test_a_full_story_is_told_by_events(self, gateway, world):
        payment = authorize(gateway, world.card, amount=10_000)
        gateway.capture(payment, 8_000, by=world.customer)
        services.refund_payment(payment=payment, amount=3_000, by=world.customer, idempotency_key="r1")
        services.refund_payment(payment=payment, amount=5_000, by=world.customer, idempotency_key="r2")
        story = list(payment.events.values_list("from_status", "to_status", "amount"))
        assert story == [
            ("", "authorized", 10_000),
            ("authorized", "captured", 8_000),
            ("captured", "partly_refunded", 3_000),
            ("partly_refunded", "refunded", 5_000),
        ]
        assert payment.events.last().by == world.customer

    def test_a_voided_payment_cannot_be_captured(self, gateway):
        payment = authorize(gateway, card())
        gateway.void(payment)
        with pytest.raises(InvalidTransition):
            gateway.capture(payment)

    def test_a_captured_payment_cannot_be_voided(self, gateway):
        payment = authorize(gateway, card())
        gateway.capture(payment)
        with pytest.raises(InvalidTransition):
            gateway.void(payment)

    def test_an_authorized_payment_cannot_be_refunded(self, gateway):
        payment = authorize(gateway, card())
        with pytest.raises(InvalidTransition):
            services.refund_payment(payment=payment, amount=1, by=None, idempotency_key="r")

    def test_it_refuses_to_refund_more_than_is_left(self, gateway):
        payment = authorize(gateway, card(), amount=5_000)
        gateway.capture(payment, 4_000)
        services.refund_payment(payment=payment, amount=3_000, by=None, idempotency_key="r1")
        with pytest.raises(RefundTooLarge):
            services.refund_payment(payment=payment, amount=1_001, by=None, idempotency_key="r2")
        payment.refresh_from_db()
        assert payment.refunded == 3_000

    def test_a_partial_capture_releases_the_rest(self, gateway):
        funded = card(balance=10_000)
        payment = authorize(gateway, funded, amount=6_000)
        with pytest.raises(InvalidAmount):
            gateway.capture(payment, 6_001)
        gateway.capture(payment, 2_500)
        assert services.card_balances(funded) == {"available": 7_500, "held": 0, "balance": 7_500}


class TestTheLedgerIsInsertOnly:
    def test_the_database_refuses_to_change_or_delete_entries(self):
        card(balance=1_000)
        entry = LedgerEntry.objects.first()
        with pytest.raises(IntegrityError), transaction.atomic():
            LedgerEntry.objects.filter(pk=entry.pk).update(amount=5)
        with pytest.raises(IntegrityError), transaction.atomic():
            LedgerEntry.objects.filter(pk=entry.pk).delete()
        with pytest.raises(IntegrityError), transaction.atomic():
            LedgerTransaction.objects.update(amount=5)

    def test_deleting_a_staff_user_keeps_the_movements(self):
        clerk = user("gone")
        target = card(balance=0)
        services.top_up(card=target, amount=1_000, idempotency_key="t", by=clerk)
        clerk.delete()
        assert LedgerTransaction.objects.get(idempotency_key="t").by is None


class TestAPinCheckTakesThePlaceOfThePin:
    def test_it_authorizes_with_the_proof_of_a_check_without_hashing_the_pin_again(self, gateway, monkeypatch):
        funded = card()
        proof = gateway.verify_pin(card_number=funded.number, pin=PIN)
        monkeypatch.setattr(Card, "pin_matches", lambda card, pin: pytest.fail("the PIN was hashed again"))
        payment = gateway.authorize(card_number=funded.number, pin_check=proof, amount=3_000, reference="R",
                                    idempotency_key="k")
        assert payment.authorized == 3_000 and services.card_balances(funded)["held"] == 3_000

    @pytest.mark.parametrize("forged", ["another card's", "tampered", "too old"])
    def test_it_refuses_a_proof_that_is_not_this_cards_or_too_old(self, gateway, forged):
        funded, other = card(), card()
        proof = gateway.verify_pin(card_number=(other if forged == "another card's" else funded).number, pin=PIN)
        if forged == "tampered":
            proof = signing.dumps(funded.number_hash, salt=PIN_CHECK_SALT, key="a guessed key")
        later = mock.Mock(time=lambda: time.time() + PIN_CHECK_LIFETIME.total_seconds() + 1)
        with mock.patch("django.core.signing.time", later if forged == "too old" else time):
            with pytest.raises(PinCheckExpired):
                gateway.authorize(card_number=funded.number, pin_check=proof, amount=1_000, reference="R",
                                  idempotency_key="k")
        assert nothing_held(funded)

    def test_a_card_locked_after_the_check_is_refused(self, gateway):
        funded = card()
        proof = gateway.verify_pin(card_number=funded.number, pin=PIN)
        funded.lock()
        with pytest.raises(CardLocked):
            gateway.authorize(card_number=funded.number, pin_check=proof, amount=1_000, reference="R",
                              idempotency_key="k")
        assert nothing_held(funded)
