"""One order's life after the sale, as a Hypothesis state machine: each
seller preparing its own delivery, pick up, fail with any reason,
redeliver, refund instead, confirm the return, deliver, remove a line,
refund a line, review a line through the order page; after every step the money, the stock and the slots
reconcile (orders/reconcile.py), and the order follows its deliveries."""

from datetime import timedelta

import pytest
from django.test import Client
from django.urls import reverse
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, rule, run_state_machine_as_test

from catalog.models import Offer, Review
from delivery import booking
from delivery import services as delivery_services
from delivery.models import Delivery, TimeSlot
from okryu.transitions import InvalidTransition
from orders import reconcile, refunds
from orders import services as order_services
from orders.models import Cart, Order
from payments.gateway import PaymentError
from tests import factories

pytestmark = [pytest.mark.django_db, pytest.mark.slow]

EXAMPLES, STEPS = 100, 20  # 2,000 steps
REFUSED = (InvalidTransition, PaymentError, booking.SlotFull, order_services.PaymentNotCapturable,
           order_services.LineNotCancellable, order_services.NotCancellable, refunds.RefundRefused)


def test_money_and_stock_reconcile_after_every_step(world):
    store, factory = Offer.objects.get(seller=world.store), Offer.objects.get(seller=world.factory)
    Offer.objects.filter(pk__in=[store.pk, factory.pk]).update(stock=100_000)
    TimeSlot.objects.filter(pk=world.slot.pk).update(capacity=10_000)
    later = factories.slot(service_=world.service, starts_in=timedelta(days=1), capacity=10_000)
    factories.card(owner=world.customer, balance=0)  # not used: the world's card pays
    stock_before = dict(Offer.objects.filter(pk__in=[store.pk, factory.pk]).values_list("pk", "stock"))
    staff = factories.user(is_staff=True)
    counter = iter(range(10**9))

    class OrderLife(RelaxedMachine):
        def __init__(self):
            super().__init__()
            cart, _ = Cart.objects.get_or_create(user=world.customer)
            order_services.add_to_cart(cart=cart, offer=store, quantity=2)
            self.order = factories.paid_order(customer=world.customer, card_=world.card, address_=world.address,
                                              offer=factory, slot_=world.slot)
            self.customer = Client()
            self.customer.force_login(world.customer)

        def delivery(self, n: int) -> Delivery:
            return list(self.order.deliveries.order_by("pk"))[n % 2]

        def line(self, n: int):
            return list(self.order.lines.order_by("pk"))[n % 2]

        def delivery_of(self, line) -> Delivery:
            return self.order.deliveries.get(seller_id=line.seller_id)

        def attempt(self, step):
            try:
                step()
            except REFUSED:
                pass

        @rule(n=st.integers(0, 1), status=st.sampled_from([Order.Status.PREPARING, Order.Status.READY]))
        def prepare(self, n, status):
            # As the staff of delivery n's seller press it: their delivery only.
            seller = self.delivery(n).seller_id
            before = list(self.order.deliveries.exclude(seller_id=seller).order_by("pk").values(
                "preparing_at", "ready_at"))
            self.attempt(lambda: order_services.move_in_kitchen(order=self.order, status=status, by=staff,
                                                                sellers=[seller]))
            assert list(self.order.deliveries.exclude(seller_id=seller).order_by("pk").values(
                "preparing_at", "ready_at")) == before, "another seller's delivery moved"

        @rule(n=st.integers(0, 1))
        def pick_up(self, n):
            delivery = self.delivery(n)
            if delivery.status == Delivery.Status.PENDING:
                self.attempt(lambda: delivery.assign(world.courier, by=staff))
                delivery = self.delivery(n)
            self.attempt(lambda: delivery_services.pick_up(delivery=delivery, by=world.courier.user))

        @rule(n=st.integers(0, 1))
        def deliver(self, n):
            self.attempt(lambda: delivery_services.deliver(delivery=self.delivery(n), by=world.courier.user,
                                                           recipient_name="김철민"))

        @rule(n=st.integers(0, 1), reason=st.sampled_from(Delivery.FailureReason.values))
        def fail(self, n, reason):
            self.attempt(lambda: delivery_services.fail(delivery=self.delivery(n), by=world.courier.user,
                                                        reason=reason, note="메모"))

        @rule(n=st.integers(0, 1))
        def redeliver(self, n):
            self.attempt(lambda: delivery_services.reslot(delivery=self.delivery(n), slot_id=later.pk,
                                                          by=world.customer))

        @rule(n=st.integers(0, 1))
        def refund_instead(self, n):
            self.attempt(lambda: delivery_services.refund_instead(delivery=self.delivery(n), by=world.customer))

        @rule(n=st.integers(0, 1))
        def confirm_return(self, n):
            self.attempt(lambda: delivery_services.confirm_return(delivery=self.delivery(n), by=staff))

        @rule(n=st.integers(0, 1))
        def cancel_line(self, n):
            self.attempt(lambda: order_services.cancel_line(order=self.order, line_id=self.line(n).pk,
                                                            by=world.customer))

        @rule(n=st.integers(0, 1), quantity=st.integers(0, 3), restock=st.booleans())
        def refund_line(self, n, quantity, restock):
            self.attempt(lambda: refunds.refund_lines(
                order=self.order, quantities={self.line(n).pk: quantity}, key=f"machine:{next(counter)}",
                reason="machine", by=staff, restock=restock))

        @rule(n=st.integers(0, 1), stars=st.integers(1, 5))
        def review(self, n, stars):
            line = self.line(n)
            delivered = self.delivery_of(line).status == Delivery.Status.DELIVERED
            answer = self.customer.post(reverse("orders:review", args=[self.order.number, line.pk]),
                                        {f"review-{line.pk}-stars": stars})
            reviewed = Review.objects.filter(purchase_key=line.review_key).exists()
            if delivered and line.quantity_left and answer.status_code == 302:
                assert reviewed
            else:
                assert answer.status_code == 409, (answer.status_code, delivered)

        @rule()
        def cancel_order(self):
            self.attempt(lambda: order_services.cancel_order(order=self.order, by=world.customer))

        @invariant()
        def everything_reconciles(self):
            assert reconcile.problems(stock_before=stock_before) == {}
            order = Order.objects.get(pk=self.order.pk)
            statuses = set(order.deliveries.values_list("status", flat=True))
            if statuses <= {Delivery.Status.DELIVERED, Delivery.Status.RETURNED, Delivery.Status.CANCELLED}:
                assert order.status in Order.FINAL, (order.status, statuses)
            waiting = order.deliveries.filter(status__in=[Delivery.Status.PENDING, Delivery.Status.ASSIGNED])
            if waiting.filter(preparing_at__isnull=False).exists():
                assert order.status != Order.Status.PAID, "a seller started: the order follows"
            for line in order.lines.all():
                if Review.objects.filter(purchase_key=line.review_key).exists():
                    assert self.delivery_of(line).status == Delivery.Status.DELIVERED, "reviewed, never delivered"

    run_state_machine_as_test(OrderLife, settings=settings(
        max_examples=EXAMPLES, stateful_step_count=STEPS, deadline=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture]))


class RelaxedMachine(RuleBasedStateMachine):
    """A machine whose rules may all be refused at any step."""
