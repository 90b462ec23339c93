"""The customer's order pages, cancelling, and an order's status following
its deliveries; someone else's order is a 404 everywhere."""

import uuid

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from catalog.models import Offer
from delivery import services as delivery_services
from delivery.models import Delivery, TimeSlot
from okryu.transitions import InvalidTransition
from orders import services
from orders.models import Order, OrderEvent
from payments.gateway import get_gateway
from payments.models import Payment
from payments.services import card_balances
from tests import factories
from tests.orders.helpers import fill_cart, many_offers

pytestmark = pytest.mark.django_db


@pytest.fixture
def order(world):
    """Paid, with one soap from each of the two sellers: two deliveries."""
    store, factory = Offer.objects.get(seller=world.store), Offer.objects.get(seller=world.factory)
    fill_cart(world.customer, [(store, 1), (factory, 2)])
    return services.place_order(
        user=world.customer, cart=world.customer.cart, shown_cart=factories.shown_cart(world.customer.cart),
        address=world.address, slot_id=world.slot.pk,
        card_number=world.card.number, pin=factories.PIN, token=uuid.uuid4(),
    )


def test_an_order_has_one_delivery_per_seller_and_snapshots(order, world):
    assert order.number and order.status == Order.Status.PAID
    assert sorted(order.deliveries.values_list("seller_id", flat=True)) == sorted([world.store.pk, world.factory.pk])
    assert [(line.seller_name, line.unit_price, line.quantity) for line in order.lines.all()] == [
        ("광복상점", 1500, 1), ("봄향기공장", 1400, 2)]
    assert (order.subtotal, order.delivery_fee, order.total) == (4300, 1000, 5300)
    assert order.district_name == world.district.name and order.address_line == world.address.line
    assert TimeSlot.objects.get(pk=world.slot.pk).booked == 2


def test_the_order_page_shows_each_sellers_kitchen(customer_client, order, world):
    store, factory = (order.deliveries.get(seller=seller) for seller in (world.store, world.factory))
    store.mark_preparing(by=None)
    factory.mark_preparing(by=None).mark_ready(by=None)
    html = customer_client.get(order.get_absolute_url()).content.decode()
    store_row, factory_row = (html.split(f"<strong>{seller.name}</strong>")[1].split("</li>")[0]
                              for seller in (world.store, world.factory))
    assert "부터 준비하고 있습니다" in store_row and "준비를 마쳤습니다" not in store_row
    assert "에 준비를 마쳤습니다" in factory_row


def test_the_list_detail_and_receipt(customer_client, order, world):
    listing = customer_client.get(reverse("orders:list"))
    assert list(listing.context["orders"]) == [order]
    detail = customer_client.get(order.get_absolute_url())
    html = detail.content.decode()
    assert [(e.from_status, e.to_status) for e in detail.context["order"].events.all()] == [
        ("", Order.Status.PLACED), (Order.Status.PLACED, Order.Status.PAID)]
    assert html.count('<ol class="timeline">') == 1 and html.count("<li><strong>") == 2, "one row per delivery"
    receipt = customer_client.get(reverse("orders:receipt", args=[order.number]))
    assert receipt.status_code == 200
    assert "5,300원" in receipt.content.decode() and world.card.number not in receipt.content.decode()
    assert world.card.number[-4:] in receipt.content.decode()


def test_the_detail_page_shows_delivery_progress(customer_client, order, world):
    delivery = order.deliveries.get(seller=world.store)
    delivery = delivery.assign(world.courier, by=None)
    delivery_services.pick_up(delivery=delivery, by=world.courier.user)
    html = customer_client.get(order.get_absolute_url(), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "s-picked_up" in html and "s-pending" in html and "s-out_for_delivery" in html


@pytest.mark.parametrize("page", ["orders:detail", "orders:receipt"])
def test_someone_elses_order_pages_answer_404(client, order, page):
    client.force_login(factories.user())
    assert client.get(reverse(page, args=[order.number])).status_code == 404
    assert client.get(reverse(page, args=["NO-SUCH"])).status_code == 404


def test_someone_elses_cancel_answers_404_and_changes_nothing(client, order):
    client.force_login(factories.user())
    assert client.post(reverse("orders:cancel", args=[order.number])).status_code == 404
    order.refresh_from_db()
    assert order.status == Order.Status.PAID


def test_cancel_needs_a_post(customer_client, order):
    assert customer_client.get(reverse("orders:cancel", args=[order.number])).status_code == 405


def test_cancelling_voids_the_hold_and_puts_everything_back(customer_client, order, world):
    assert card_balances(world.card)["held"] == 5300
    response = customer_client.post(reverse("orders:cancel", args=[order.number]))
    assert response.status_code == 302
    order.refresh_from_db()
    assert order.status == Order.Status.CANCELLED
    assert order.payment.status == Payment.Status.VOIDED
    assert card_balances(world.card) == {"available": 500_000, "held": 0, "balance": 500_000}
    assert dict(Offer.objects.values_list("seller_id", "stock")) == {world.store.pk: 10, world.factory.pk: 5}
    assert TimeSlot.objects.get(pk=world.slot.pk).booked == 0
    assert set(order.deliveries.values_list("status", flat=True)) == {Delivery.Status.CANCELLED}
    assert order.events.last().to_status == Order.Status.CANCELLED


def test_cancelling_refunds_what_was_already_captured(customer_client, order, world):
    get_gateway().capture(order.payment)
    customer_client.post(reverse("orders:cancel", args=[order.number]))
    order.refresh_from_db()
    assert order.status == Order.Status.CANCELLED
    assert order.payment.status == Payment.Status.REFUNDED and order.payment.refunded == 5300
    assert card_balances(world.card)["available"] == 500_000


def test_it_refuses_to_cancel_once_goods_left_the_seller(customer_client, order, world):
    delivery = order.deliveries.get(seller=world.factory)
    delivery = delivery.assign(world.courier, by=None)
    delivery_services.pick_up(delivery=delivery, by=world.courier.user)
    response = customer_client.post(reverse("orders:cancel", args=[order.number]), follow=True)
    assert [m.level_tag for m in response.context["messages"]] == ["error"]
    order.refresh_from_db()
    assert order.status == Order.Status.OUT_FOR_DELIVERY
    assert 'action="{}"'.format(reverse("orders:cancel", args=[order.number])) not in response.content.decode()


def test_the_order_is_delivered_when_every_delivery_is(order, world):
    store_part, factory_part = (
        delivery_services.pick_up(delivery=delivery.assign(world.courier, by=None), by=world.courier.user)
        for delivery in order.deliveries.order_by("seller__name_ko")
    )
    delivery_services.deliver(delivery=store_part, by=world.courier.user, recipient_name="김철민")
    order.refresh_from_db()
    assert order.status == Order.Status.OUT_FOR_DELIVERY
    delivery_services.deliver(delivery=factory_part, by=world.courier.user, recipient_name="김철민")
    order.refresh_from_db()
    assert order.status == Order.Status.DELIVERED
    assert order.payment.status == Payment.Status.CAPTURED


def test_a_status_changes_only_along_the_transitions(order):
    events = OrderEvent.objects.count()
    with pytest.raises(InvalidTransition):
        order.change_status(Order.Status.DELIVERED)
    order.refresh_from_db()
    assert order.status == Order.Status.PAID and OrderEvent.objects.count() == events
    order.change_status(Order.Status.PREPARING, note="kitchen")
    assert OrderEvent.objects.count() == events + 1
    assert order.events.last().note == "kitchen"


def test_the_order_pages_run_the_same_queries_for_2_and_20_lines(client, world):
    offers = many_offers(world, 20)
    counts = {}
    for size in (2, 20):
        buyer = factories.user()
        fill_cart(buyer, [(offer, 1) for offer in offers[:size]])
        placed = services.place_order(
            user=buyer, cart=buyer.cart, shown_cart=factories.shown_cart(buyer.cart),
            address=factories.address(owner=buyer, district_=world.district),
            slot_id=world.slot.pk, card_number=factories.card(owner=buyer).number, pin=factories.PIN,
            token=uuid.uuid4(),
        )
        client.force_login(buyer)
        counts[size] = []
        for url in (reverse("orders:list"), placed.get_absolute_url(), reverse("orders:receipt", args=[placed.number])):
            with CaptureQueriesContext(connection) as queries:
                assert client.get(url).status_code == 200
            counts[size].append(len(queries))
    assert counts[2] == counts[20]
