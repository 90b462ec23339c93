"""Orders whose card hold would lapse before delivery (orders.holds): the
periodic job captures those whose goods have left the seller and cancels the
others with a notice, once however many runs meet. Time is moved by the
``now`` the service takes, or by moving the hold's end as time would."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone, translation

from catalog.models import Offer
from delivery import services as delivery_services
from delivery.models import TimeSlot
from okryu.notices.models import Event, Notice
from okryu.transitions import InvalidTransition
from orders import holds, services, tasks
from orders.models import Order
from payments import services as payment_services
from payments.models import LedgerTransaction, Payment
from tests import factories
from tests.races import race


def buy(world, quantity=2):
    return factories.paid_order(customer=world.customer, card_=world.card, address_=world.address,
                                offer=Offer.objects.get(seller=world.store), slot_=world.slot, quantity=quantity)


def hold_end(order):
    return Payment.objects.get(pk=order.payment_id).hold_expires_at


@pytest.mark.django_db
def test_an_order_still_at_the_seller_is_cancelled_and_its_customer_told(world, client):
    order = buy(world)
    settled = holds.settle_lapsing_holds(now=hold_end(order) - timedelta(hours=11))
    assert settled == holds.Settled(cancelled=[order.number])
    order.refresh_from_db()
    assert order.status == Order.Status.CANCELLED
    assert Payment.objects.get(pk=order.payment_id).status == Payment.Status.VOIDED
    assert payment_services.card_balances(world.card) == {"available": 500_000, "held": 0, "balance": 500_000}
    assert Offer.objects.get(seller=world.store).stock == 10
    assert TimeSlot.objects.get(pk=world.slot.pk).booked == 0
    assert list(Notice.objects.filter(recipient=world.customer).exclude(event=Event.ORDER_PAID)
                .values_list("event", flat=True)) == [Event.HOLD_LAPSED]
    client.force_login(world.customer)
    page = client.get(order.get_absolute_url()).content.decode()
    with translation.override("ko"):
        assert str(Order.Status.CANCELLED.label) in page
    inbox = client.get(reverse("notices:inbox")).content.decode()
    assert order.number in inbox and "결제보류" in inbox


@pytest.mark.django_db
def test_a_hold_further_than_twelve_hours_from_lapsing_is_left_alone(world):
    order = buy(world)
    assert holds.settle_lapsing_holds(now=hold_end(order) - timedelta(hours=13)) == holds.Settled()
    assert Order.objects.get(pk=order.pk).status == Order.Status.PAID
    assert Payment.objects.get(pk=order.payment_id).status == Payment.Status.AUTHORIZED


@pytest.mark.django_db
def test_an_order_whose_delivery_already_failed_is_captured_for_what_is_left(world):
    order = buy(world)
    delivery = order.deliveries.get()
    delivery_services.fail(delivery=delivery, by=None, reason="nobody_home")  # to redeliver, goods kept
    settled = holds.settle_lapsing_holds(now=hold_end(order) - timedelta(hours=1))
    assert settled == holds.Settled(captured=[order.number])
    payment = Payment.objects.get(pk=order.payment_id)
    assert (payment.status, payment.captured) == (Payment.Status.CAPTURED, order.total)
    assert payment_services.card_balances(world.card)["held"] == 0
    assert holds.settle_lapsing_holds(now=hold_end(order)) == holds.Settled(), "settled once"


@pytest.mark.django_db
def test_a_kitchen_that_started_does_not_stop_the_cancel(world):
    order = buy(world)
    services.move_in_kitchen(order=order, status=Order.Status.READY, by=None)
    holds.settle_lapsing_holds(now=hold_end(order) - timedelta(hours=2))
    assert Order.objects.get(pk=order.pk).status == Order.Status.CANCELLED


@pytest.mark.django_db
def test_the_periodic_job_settles_the_holds_lapsing_within_twelve_hours(world):
    soon, later = buy(world, quantity=1), buy(world, quantity=1)
    Payment.objects.filter(pk=soon.payment_id).update(hold_expires_at=timezone.now() + timedelta(hours=3))
    assert tasks.settle_lapsing_holds(timestamp=0) == 1
    assert dict(Order.objects.values_list("number", "status")) == {
        soon.number: Order.Status.CANCELLED, later.number: Order.Status.PAID}


@pytest.mark.django_db(transaction=True)
def test_two_runs_at_once_settle_each_order_once(world):
    orders = [buy(world, quantity=1) for _ in range(3)]
    now = hold_end(orders[-1]) - timedelta(hours=1)
    first, second = race(lambda: holds.settle_lapsing_holds(now=now), lambda: holds.settle_lapsing_holds(now=now))
    assert sorted(first.cancelled + second.cancelled) == sorted(order.number for order in orders)
    assert not (first.captured or second.captured or first.refused or second.refused)
    releases = LedgerTransaction.objects.filter(kind=LedgerTransaction.Kind.RELEASE)
    assert releases.count() == 3 and releases.values("payment").distinct().count() == 3
    assert Notice.objects.filter(event=Event.HOLD_LAPSED).count() == 3
    assert payment_services.card_balances(world.card) == {"available": 500_000, "held": 0, "balance": 500_000}
    assert Offer.objects.get(seller=world.store).stock == 10


@pytest.mark.django_db(transaction=True)
def test_a_pickup_meeting_the_job_ends_one_way_with_money_moved_once(world):
    order = buy(world)
    delivery = order.deliveries.get().assign(world.courier, by=None)
    now = hold_end(order) - timedelta(hours=1)
    picked, settled = race(lambda: delivery_services.pick_up(delivery=delivery, by=world.courier.user),
                           lambda: holds.settle_hold(order_id=order.pk, now=now), expect=(InvalidTransition,))
    order.refresh_from_db()
    payment = Payment.objects.get(pk=order.payment_id)
    if settled == "cancelled":
        assert isinstance(picked, InvalidTransition), "the goods stay with the seller"
        assert (order.status, payment.status, payment.captured) == (Order.Status.CANCELLED, "voided", 0)
    else:
        assert settled is None
        assert (order.status, payment.status, payment.captured) == (Order.Status.OUT_FOR_DELIVERY, "captured",
                                                                    order.total)
    assert LedgerTransaction.objects.filter(payment=payment).exclude(kind=LedgerTransaction.Kind.HOLD).count() == 1
