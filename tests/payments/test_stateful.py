"""Random sequences of top-ups, wrong PINs, unlocks, authorizations, captures
(full and partial), voids, refunds (partial, full, too large) and replays,
run against the real database through the gateway and compared with a
reference model. After every step the books must hold.

Size: max_examples × stateful_step_count = 200 × 100 steps at most; the
test counts the steps actually run (a step is one call into the network)
and asserts at least 10,000. Hypothesis ends many sequences early: 150
examples once ran only 9,253 steps, so 200 are drawn. It runs without shrinking: a failure prints the
whole failing sequence at once instead of spending minutes minimising it.
"""

import itertools
import os
from dataclasses import dataclass

import pytest
from django.db import connection
from hypothesis import HealthCheck, Phase, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    Bundle,
    RuleBasedStateMachine,
    initialize,
    invariant,
    multiple,
    rule,
    run_state_machine_as_test,
)

from payments import services
from payments.gateway import (
    CardLocked,
    IdempotencyKeyReused,
    InsufficientFunds,
    InvalidAmount,
    InvalidTransition,
    RefundTooLarge,
    WrongPin,
    get_gateway,
)
from payments.models import Account, Card, Payment
from payments.numbers import number_hash
from tests.factories import PIN, card

# PAYMENTS_STATEFUL_EXAMPLES=10 for a quick local run; the default is the real proof.
EXAMPLES = int(os.environ.get("PAYMENTS_STATEFUL_EXAMPLES", 200))
STEPS_PER_EXAMPLE = 100
MIN_TOTAL_STEPS = 10_000

# Committed transactions, not one test transaction with savepoints: thousands
# of savepoints in one transaction overflow PostgreSQL's subtransaction cache
# and make every query slow. Each example starts by emptying the tables.
pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.slow]
PAYMENT_TABLES = [
    "payments_paymentevent", "payments_ledgerentry", "payments_ledgertransaction", "payments_payment",
    "payments_cardevent", "payments_account", "payments_card",
]

amounts = st.integers(min_value=-2, max_value=60_000)
_keys = itertools.count()


def new_key(prefix: str) -> str:
    return f"{prefix}:{next(_keys)}"


@dataclass
class CardModel:
    number: str
    available: int = 0
    held: int = 0
    failures: int = 0
    locked: bool = False


@dataclass
class PaymentModel:
    pk: int
    card: CardModel
    key: str
    reference: str
    authorized: int
    captured: int = 0
    refunded: int = 0
    status: str = Payment.Status.AUTHORIZED


class CardNetwork(RuleBasedStateMachine):
    steps = 0
    payments = Bundle("payments")

    def __init__(self):
        super().__init__()
        # Each example starts from the same empty books. TRUNCATE is not a row
        # delete, so the ledger's insert-only trigger does not object.
        with connection.cursor() as cursor:
            cursor.execute(f"TRUNCATE {', '.join(PAYMENT_TABLES)} CASCADE")
        self.gateway = get_gateway()
        self.card_rows = {row.number: row for row in (card(balance=0) for _ in range(2))}
        self.cards = [CardModel(number=number) for number in self.card_rows]
        self.revenue = 0
        self.top_ups: dict[str, int] = {}
        self.refunds: dict[str, tuple[PaymentModel, int]] = {}
        self.payment_models: list[PaymentModel] = []

    def expect(self, error, call):
        """Run ``call``; it must raise exactly ``error`` (or nothing when None)."""
        CardNetwork.steps += 1
        try:
            result = call()
        except Exception as raised:
            assert type(raised) is error, f"expected {error}, got {raised!r}"
            return None
        assert error is None, f"expected {error}, nothing was raised"
        return result

    @initialize()
    def fund(self):
        for model in self.cards:
            services.top_up(card=self.card_rows[model.number], amount=50_000, idempotency_key=new_key("fund"))
            model.available = 50_000

    @rule(index=st.integers(0, 1), amount=st.integers(-2, 100_000), replay=st.booleans())
    def top_up(self, index, amount, replay):
        model = self.cards[index]
        the_card = self.card_rows[model.number]
        if replay and self.top_ups:
            key, first_amount = next(iter(self.top_ups.items()))
            self.expect(None, lambda: services.top_up(card=the_card, amount=first_amount, idempotency_key=key))
            return
        key = new_key("top-up")
        error = InvalidAmount if amount <= 0 else None
        self.expect(error, lambda: services.top_up(card=the_card, amount=amount, idempotency_key=key))
        if error is None:
            model.available += amount
            self.top_ups[key] = amount

    @rule(index=st.integers(0, 1))
    def wrong_pin(self, index):
        model = self.cards[index]
        error = CardLocked if model.locked else WrongPin
        self.expect(error, lambda: self.gateway.verify_pin(card_number=model.number, pin="0000"))
        if not model.locked:
            model.failures += 1
            model.locked = model.failures == Card.MAX_PIN_FAILURES

    @rule(index=st.integers(0, 1))
    def unlock(self, index):
        model = self.cards[index]
        self.expect(None, lambda: services.unlock_card(card=self.card_rows[model.number], by=None))
        if model.locked:
            model.locked, model.failures = False, 0

    @rule(target=payments, index=st.integers(0, 1), amount=amounts)
    def authorize(self, index, amount):
        model = self.cards[index]
        key, reference = new_key("authorize"), new_key("order")
        if amount <= 0:
            error = InvalidAmount
        elif model.locked:
            error = CardLocked
        else:
            model.failures = 0  # the right PIN resets the count, whatever follows
            error = InsufficientFunds if amount > model.available else None
        payment = self.expect(error, lambda: self.gateway.authorize(
            card_number=model.number, pin=PIN, amount=amount, reference=reference, idempotency_key=key,
        ))
        if payment is None:
            return multiple()
        model.available -= amount
        model.held += amount
        self.payment_models.append(PaymentModel(pk=payment.pk, card=model, key=key, reference=reference,
                                                authorized=amount))
        return self.payment_models[-1]

    @rule(payment=payments)
    def replay_authorize(self, payment):
        again = self.expect(None, lambda: self.gateway.authorize(
            card_number=payment.card.number, pin=PIN, amount=payment.authorized, reference=payment.reference,
            idempotency_key=payment.key,
        ))
        assert again.pk == payment.pk

    @rule(payment=payments, data=st.data())
    def capture(self, payment, data):
        amount = data.draw(st.one_of(st.none(), st.integers(-1, payment.authorized + 2)), label="amount")
        if payment.status == Payment.Status.VOIDED:
            error = InvalidTransition
        elif payment.status != Payment.Status.AUTHORIZED:
            error = None  # a replay: captured once already
        elif amount is not None and not 0 < amount <= payment.authorized:
            error = InvalidAmount
        else:
            error = None
        was = payment.status
        self.expect(error, lambda: self.gateway.capture(Payment(pk=payment.pk), amount))
        if error is None and was == Payment.Status.AUTHORIZED:
            payment.captured = payment.authorized if amount is None else amount
            payment.status = Payment.Status.CAPTURED
            payment.card.held -= payment.authorized
            payment.card.available += payment.authorized - payment.captured
            self.revenue += payment.captured

    @rule(payment=payments)
    def void(self, payment):
        if payment.status in (Payment.Status.AUTHORIZED, Payment.Status.VOIDED):
            error = None
        else:
            error = InvalidTransition
        was = payment.status
        self.expect(error, lambda: self.gateway.void(Payment(pk=payment.pk)))
        if was == Payment.Status.AUTHORIZED:
            payment.status = Payment.Status.VOIDED
            payment.card.held -= payment.authorized
            payment.card.available += payment.authorized

    @rule(payment=payments, data=st.data())
    def refund(self, payment, data):
        left = payment.captured - payment.refunded
        amount = data.draw(st.one_of(st.integers(-1, left + 5), st.just(left)), label="amount")
        key = new_key("refund")
        if amount <= 0:
            error = InvalidAmount
        elif payment.status not in (Payment.Status.CAPTURED, Payment.Status.PARTLY_REFUNDED):
            error = InvalidTransition
        elif amount > left:
            error = RefundTooLarge
        else:
            error = None
        self.expect(error, lambda: self.gateway.refund(Payment(pk=payment.pk), amount, idempotency_key=key))
        if error is None:
            payment.refunded += amount
            payment.status = (
                Payment.Status.REFUNDED if payment.refunded == payment.captured else Payment.Status.PARTLY_REFUNDED
            )
            payment.card.available += amount
            self.revenue -= amount
            self.refunds[key] = (payment, amount)

    @rule(data=st.data(), other_amount=st.booleans())
    def replay_refund(self, data, other_amount):
        if not self.refunds:
            return
        key = data.draw(st.sampled_from(sorted(self.refunds)), label="key")
        payment, amount = self.refunds[key]
        error = IdempotencyKeyReused if other_amount else None
        self.expect(error, lambda: self.gateway.refund(
            Payment(pk=payment.pk), amount + (1 if other_amount else 0), idempotency_key=key,
        ))

    @invariant()
    def books_hold(self):
        with connection.cursor() as cursor:
            cursor.execute(BOOKS)
            total, unpaired, bad_payments, accounts, payments, cards = cursor.fetchone()
        assert total == 0, "the ledger sums to zero"
        assert unpaired == 0, "every movement is two entries summing to zero"
        assert bad_payments == 0, "captured <= authorized and refunded <= captured"
        balances = {}
        for kind, number, balance, entries in accounts:
            assert balance == entries, f"the cached balance of {kind} {number} is the sum of its entries"
            assert kind == Account.Kind.CASH or balance >= 0, f"{kind} {number} is negative"
            balances[kind, number] = balance
        for model in self.cards:
            assert balances[Account.Kind.CARD, number_hash(model.number)] == model.available
            assert balances[Account.Kind.HOLD, number_hash(model.number)] == model.held
        assert balances.get((Account.Kind.REVENUE, None), 0) == self.revenue
        assert sorted(payments or []) == sorted(
            [p.pk, p.status, p.captured, p.refunded] for p in self.payment_models
        )
        assert dict(cards) == {number_hash(model.number): model.failures for model in self.cards}


# All of the invariants' data in one round trip, because the test runs it after every step.
BOOKS = """
SELECT
    (SELECT COALESCE(SUM(amount), 0) FROM payments_ledgerentry),
    (SELECT COUNT(*) FROM (
        SELECT t.id FROM payments_ledgertransaction t LEFT JOIN payments_ledgerentry e ON e.transaction_id = t.id
        GROUP BY t.id HAVING COUNT(e.id) <> 2 OR COALESCE(SUM(e.amount), 0) <> 0) AS unpaired),
    (SELECT COUNT(*) FROM payments_payment WHERE captured > authorized OR refunded > captured),
    (SELECT json_agg(json_build_array(a.kind, c.number_hash, a.balance,
        (SELECT COALESCE(SUM(e.amount), 0) FROM payments_ledgerentry e WHERE e.account_id = a.id)))
     FROM payments_account a LEFT JOIN payments_card c ON c.id = a.card_id),
    (SELECT json_agg(json_build_array(id, status, captured, refunded)) FROM payments_payment),
    (SELECT json_agg(json_build_array(number_hash, failed_pin_attempts)) FROM payments_card)
"""


def test_the_books_hold_under_random_operations():
    CardNetwork.steps = 0
    with connection.cursor() as cursor:
        # Nothing here needs to survive a crash of the test server; commits need not wait for the disk.
        cursor.execute("SET synchronous_commit TO off")
    run_state_machine_as_test(CardNetwork, settings=settings(
        max_examples=EXAMPLES, stateful_step_count=STEPS_PER_EXAMPLE, deadline=None, database=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much], phases=[Phase.generate],
    ))
    print(f"stateful payments test: {CardNetwork.steps} steps in {EXAMPLES} examples")
    if EXAMPLES >= 200:
        assert CardNetwork.steps >= MIN_TOTAL_STEPS, f"only {CardNetwork.steps} steps ran"
