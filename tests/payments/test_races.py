"""Payments racing on real threads against PostgreSQL: each thread has its
own connection and commits for real (see tests.races)."""

import pytest

from payments import services
from payments.gateway import CardLocked, InsufficientFunds, InvalidTransition, PaymentError, WrongPin
from payments.models import Account, CardEvent, LedgerTransaction, Payment, PaymentEvent
from tests.factories import PIN, card
from tests.races import race

pytestmark = pytest.mark.django_db(transaction=True)


def test_two_authorizations_over_the_balance_one_succeeds(gateway):
    funded = card(balance=10_000)
    results = race(*[lambda i=i: gateway.authorize(
        card_number=funded.number, pin=PIN, amount=6_000, reference=f"R{i}", idempotency_key=f"race:{i}",
    ) for i in range(2)], expect=(InsufficientFunds,))
    assert sorted(type(r).__name__ for r in results) == ["InsufficientFunds", "Payment"]
    assert isinstance([r for r in results if not isinstance(r, Payment)][0], InsufficientFunds)
    assert services.card_balances(funded) == {"available": 4_000, "held": 6_000, "balance": 10_000}
    assert Payment.objects.count() == 1


def test_the_same_authorization_replayed_concurrently_holds_once(gateway):
    funded = card(balance=10_000)
    results = race(*[lambda: gateway.authorize(
        card_number=funded.number, pin=PIN, amount=3_000, reference="R", idempotency_key="race:same",
    )] * 6)
    assert {r.pk for r in results} == {Payment.objects.get().pk}
    assert services.card_balances(funded)["held"] == 3_000
    assert LedgerTransaction.objects.filter(kind=LedgerTransaction.Kind.HOLD).count() == 1


def test_the_same_capture_replayed_concurrently_captures_once(gateway):
    funded = card(balance=10_000)
    payment = gateway.authorize(card_number=funded.number, pin=PIN, amount=7_000, reference="R", idempotency_key="k")
    results = race(*[lambda: gateway.capture(Payment.objects.get(pk=payment.pk), 5_000)] * 8)
    assert all(isinstance(r, Payment) and r.status == Payment.Status.CAPTURED for r in results), results
    assert LedgerTransaction.objects.filter(kind=LedgerTransaction.Kind.CAPTURE).count() == 1
    assert PaymentEvent.objects.filter(payment=payment, to_status=Payment.Status.CAPTURED).count() == 1
    assert Account.objects.get(kind=Account.Kind.REVENUE).balance == 5_000
    assert services.card_balances(funded) == {"available": 5_000, "held": 0, "balance": 5_000}


def test_a_capture_and_a_void_at_once_one_wins(gateway):
    funded = card(balance=10_000)
    payment = gateway.authorize(card_number=funded.number, pin=PIN, amount=7_000, reference="R", idempotency_key="k")
    results = race(
        lambda: gateway.capture(Payment.objects.get(pk=payment.pk)),
        lambda: gateway.void(Payment.objects.get(pk=payment.pk)),
        expect=(PaymentError, InvalidTransition),
    )
    payment.refresh_from_db()
    assert payment.status in (Payment.Status.CAPTURED, Payment.Status.VOIDED)
    assert sum(isinstance(r, Payment) for r in results) == 1
    assert PaymentEvent.objects.filter(payment=payment).count() == 2  # authorized, then one of the two
    assert services.card_balances(funded)["held"] == 0


def test_concurrent_refunds_with_one_key_refund_once(gateway):
    funded = card(balance=10_000)
    payment = gateway.authorize(card_number=funded.number, pin=PIN, amount=7_000, reference="R", idempotency_key="k")
    gateway.capture(payment)
    race(*[lambda: services.refund_payment(
        payment=Payment.objects.get(pk=payment.pk), amount=2_000, by=None, idempotency_key="refund:once",
    )] * 6)
    payment.refresh_from_db()
    assert (payment.refunded, payment.status) == (2_000, Payment.Status.PARTLY_REFUNDED)
    assert LedgerTransaction.objects.filter(kind=LedgerTransaction.Kind.REFUND).count() == 1
    assert services.card_balances(funded)["available"] == 5_000


def test_eight_wrong_pins_at_once_lock_the_card_at_exactly_five(gateway):
    """Wrong PINs queue on the card's row lock: the first five count (the
    fifth locks the card), the other three find it locked. So: five
    WrongPin, three CardLocked, the counter at five, five PIN_FAILED events
    and one LOCKED event."""
    target = card(balance=10_000)
    results = race(*[lambda: gateway.verify_pin(card_number=target.number, pin="9999")] * 8,
                   expect=(WrongPin, CardLocked))
    assert sum(isinstance(r, WrongPin) for r in results) == 5
    assert sum(isinstance(r, CardLocked) for r in results) == 3
    target.refresh_from_db()
    assert (target.status, target.failed_pin_attempts) == ("locked", 5)
    kinds = list(target.events.values_list("kind", flat=True))
    assert kinds.count(CardEvent.Kind.PIN_FAILED) == 5
    assert kinds.count(CardEvent.Kind.LOCKED) == 1


def test_concurrent_top_ups_with_one_key_top_up_once():
    target = card(balance=0)
    results = race(*[lambda: services.top_up(card=target, amount=25_000, idempotency_key="cash:once")] * 8)
    assert len({r.pk for r in results}) == 1, results
    assert LedgerTransaction.objects.filter(kind=LedgerTransaction.Kind.TOP_UP).count() == 1
    assert services.card_balances(target)["available"] == 25_000
    assert Account.objects.get(card=target, kind=Account.Kind.CARD).balance == 25_000
