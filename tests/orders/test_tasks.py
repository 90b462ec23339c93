"""The periodic jobs of orders, called as the worker calls them: abandoned
checkouts, and orders stuck past their delivery slot (also an admin filter)."""

import logging
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from delivery.models import TimeSlot
from orders import services, tasks
from orders.models import Order
from tests import factories

pytestmark = pytest.mark.django_db


@pytest.fixture
def orders(world):
    """Orders by name, each on a slot of its own that ended that long ago
    (booked while ahead, then moved back as time would have moved it)."""
    ended = {"stuck": timedelta(hours=3), "just late": timedelta(minutes=30), "on time": timedelta(hours=-3),
             "delivered": timedelta(hours=3), "cancelled": timedelta(hours=3)}
    made = {}
    for number, (name, ago) in enumerate(ended.items()):
        slot = factories.slot(service_=world.service, starts_in=timedelta(days=1, hours=number))
        made[name] = factories.paid_order(customer=world.customer, card_=world.card, address_=world.address,
                                          offer=world.soap.offers.first(), slot_=slot)
        TimeSlot.objects.filter(pk=slot.pk).update(starts_at=timezone.now() - ago - timedelta(minutes=30),
                                                   ends_at=timezone.now() - ago)
    made["delivered"].change_status(Order.Status.OUT_FOR_DELIVERY)
    made["delivered"].change_status(Order.Status.DELIVERED)
    made["cancelled"].change_status(Order.Status.CANCELLED)
    return made


def test_an_order_is_stuck_when_undelivered_well_after_its_slot(orders):
    assert list(services.stuck_orders()) == [orders["stuck"]]


def test_the_periodic_report_warns_with_the_count_and_numbers(orders, caplog):
    with caplog.at_level(logging.WARNING, logger="orders.tasks"):
        assert tasks.report_stuck_orders(timestamp=0) == 1
    assert caplog.records[-1].levelno == logging.WARNING
    assert "1 order(s) not delivered" in caplog.text and orders["stuck"].number in caplog.text
    assert orders["just late"].number not in caplog.text


def test_staff_find_the_stuck_orders_in_the_admin(orders, staff_client):
    changelist = reverse("admin:orders_order_changelist")
    stuck = staff_client.get(changelist, {"stuck": "yes"})
    assert stuck.status_code == 200
    assert [order.number for order in stuck.context["cl"].result_list] == [orders["stuck"].number]
    assert staff_client.get(changelist, {"stuck": "maybe"}).status_code == 302


def test_the_periodic_expiry_warns_about_orders_never_paid(world, caplog):
    unpaid = factories.order(owner=world.customer, district_=world.district,
                             offers=[(world.soap.offers.first(), 1)], status=Order.Status.PLACED)
    Order.objects.filter(pk=unpaid.pk).update(created_at=timezone.now() - timedelta(hours=2))
    with caplog.at_level(logging.WARNING, logger="orders.tasks"):
        tasks.expire_abandoned(timestamp=0)
    assert f"1 order(s) placed but never paid: {unpaid.number}" in caplog.text
