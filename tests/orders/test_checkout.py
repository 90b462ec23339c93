"""Checkout through its pages: the address step, slots and fees, paying
with a linked card or a card number, hot food, and a failure at each step
of placing the order leaving the database exactly as it was."""

import uuid
from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from catalog.models import Offer
from delivery import booking
from delivery.models import TimeSlot
from orders import services
from orders.models import Address, CartLine, Order
from orders.views import SESSION_ADDRESS_ID
from payments.models import Card, Payment
from tests import factories
from tests.orders.helpers import (
    checkout_token,
    fill_cart,
    many_offers,
    pay,
    shown_cart,
    snapshot,
    start_checkout,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def soap(world):
    return Offer.objects.get(seller=world.store)


@pytest.fixture
def in_checkout(customer_client, world, soap):
    """A customer with one soap in the cart, on the pay page."""
    fill_cart(world.customer, [(soap, 2)])
    return start_checkout(customer_client, world)


def test_it_refuses_another_customers_address(customer_client, world, soap):
    fill_cart(world.customer, [(soap, 1)])
    stranger = factories.user()
    theirs = factories.address(owner=stranger, district_=world.district, line="their house")
    response = customer_client.post(reverse("orders:checkout"), {"address": theirs.pk})
    assert response.status_code == 400
    assert SESSION_ADDRESS_ID not in customer_client.session
    assert customer_client.get(reverse("orders:checkout_pay")).status_code == 302
    customer_client.session[SESSION_ADDRESS_ID] = theirs.pk
    assert "their house" not in customer_client.get(reverse("orders:checkout")).content.decode()


@pytest.mark.parametrize("address", ["abc", "", "99999999"])
def test_it_refuses_a_bad_address_id(customer_client, world, soap, address):
    fill_cart(world.customer, [(soap, 1)])
    assert customer_client.post(reverse("orders:checkout"), {"address": address}).status_code == 400


def test_a_new_address_takes_a_district_that_is_delivered_to(customer_client, world, soap):
    fill_cart(world.customer, [(soap, 1)])
    nowhere = factories.district(name_ko="먼곳")
    page = customer_client.get(reverse("orders:checkout")).content.decode()
    assert world.district.name_ko in page and "먼곳" not in page
    data = {"recipient_name": "리영희", "phone": "0192 555 6666", "line": "3동 4호"}
    refused = customer_client.post(reverse("orders:checkout"), {**data, "district": nowhere.pk})
    assert refused.status_code == 400
    accepted = customer_client.post(reverse("orders:checkout"), {**data, "district": world.district.pk})
    assert accepted.status_code == 302
    assert customer_client.session[SESSION_ADDRESS_ID] == Address.objects.get(recipient_name="리영희").pk


def test_the_pay_page_shows_each_slot_with_its_room_and_its_services_fee(customer_client, world, soap):
    bikes = factories.service(districts=[world.district], fee=2500, name_ko="자전거", vehicle="bicycle")
    bike_slot = factories.slot(service_=bikes, starts_in=timedelta(hours=3), capacity=4, booked=1)
    fill_cart(world.customer, [(soap, 1)])
    page = start_checkout(customer_client, world)
    assert page.status_code == 200
    assert [slot.pk for slot in page.context["slots"]] == [world.slot.pk, bike_slot.pk]
    html = page.content.decode()
    assert "1,000원" in html and "2,500원" in html
    assert {slot.pk: slot.remaining for slot in page.context["slots"]} == {world.slot.pk: 10, bike_slot.pk: 3}


def test_it_pays_with_a_card_number_and_pin(customer_client, world, in_checkout):
    unlinked = factories.card(balance=100_000)
    response = pay(customer_client, checkout_token(in_checkout), slot=world.slot, card_number=unlinked.number)
    order = Order.objects.get()
    assert response.status_code == 302 and response["Location"] == order.get_absolute_url()
    assert order.payment.card == unlinked and order.payment.authorized == order.total == 2 * 1500 + 1000


def test_the_pin_is_hashed_once_and_before_any_offer_is_locked(customer_client, world, in_checkout, monkeypatch):
    happened = []
    pin_matches, take_stock = Card.pin_matches, services.catalog_services.take_stock
    monkeypatch.setattr(Card, "pin_matches", lambda card, pin: happened.append("pin") or pin_matches(card, pin))
    monkeypatch.setattr(services.catalog_services, "take_stock",
                        lambda **kwargs: happened.append("offers locked") or take_stock(**kwargs))
    response = pay(customer_client, checkout_token(in_checkout), slot=world.slot, card=world.card)
    assert response.status_code == 302 and Order.objects.get().status == Order.Status.PAID
    assert happened == ["pin", "offers locked"]


def test_a_wrong_pin_is_still_refused_and_counted(customer_client, world, in_checkout):
    response = pay(customer_client, checkout_token(in_checkout), slot=world.slot, card=world.card, pin="0000")
    assert response.status_code == 409
    assert not Order.objects.exists() and not Payment.objects.exists()
    assert Card.objects.get(pk=world.card.pk).failed_pin_attempts == 1


def test_the_review_uses_the_fee_of_the_chosen_slot(customer_client, world, soap):
    bikes = factories.service(districts=[world.district], fee=2500, name_ko="자전거", vehicle="bicycle")
    bike_slot = factories.slot(service_=bikes, starts_in=timedelta(hours=3))
    fill_cart(world.customer, [(soap, 1)])
    page = start_checkout(customer_client, world)
    response = pay(customer_client, checkout_token(page), slot=bike_slot, card=world.card, pin="12")
    assert response.status_code == 409
    assert response.context["fee"] == 2500 and response.context["total"] == 1500 + 2500


def test_a_restaurant_dish_only_gets_a_slot_the_kitchen_can_meet(customer_client, world):
    kitchen = factories.seller(kind="restaurant", name_ko="옥류관")
    noodles = factories.product(category_=world.category, fresh_minutes=45, offers=[(kitchen, 3000, 20)])
    too_long = factories.slot(service_=world.service, starts_in=timedelta(hours=3), minutes=90)
    too_soon = factories.slot(service_=world.service, starts_in=timedelta(minutes=10))
    fill_cart(world.customer, [(noodles.offers.get(), 1)])
    page = start_checkout(customer_client, world)
    assert [slot.pk for slot in page.context["slots"]] == [world.slot.pk]
    before = snapshot()
    for slot in (too_long, too_soon):
        refused = pay(customer_client, checkout_token(page), slot=slot, card=world.card)
        assert refused.status_code == 409 and refused.context["form"].errors["slot"]
    assert snapshot() == before
    placed = pay(customer_client, checkout_token(page), slot=world.slot, card=world.card)
    assert placed.status_code == 302
    delivery = Order.objects.get().deliveries.get()
    assert delivery.is_hot_food and delivery.promised_by == world.slot.ends_at


def test_a_restaurant_dish_only_gets_a_slot_while_the_kitchen_is_open(customer_client, world):
    slot_start = timezone.localtime(world.slot.starts_at)
    closed_then = factories.seller(
        kind="restaurant", hours=((slot_start + timedelta(hours=1)).time(), (slot_start + timedelta(hours=2)).time()),
    )
    noodles = factories.product(category_=world.category, fresh_minutes=45, offers=[(closed_then, 3000, 20)])
    fill_cart(world.customer, [(noodles.offers.get(), 1)])
    page = start_checkout(customer_client, world)
    assert list(page.context["slots"]) == []
    before = snapshot()
    refused = pay(customer_client, checkout_token(page), slot=world.slot, card=world.card)
    assert refused.status_code == 409
    assert snapshot() == before


def test_a_dish_fresh_for_zero_minutes_is_hot_food_on_the_page_and_in_place_order(customer_client, world):
    """Hot food is ``fresh_minutes is not None`` (Product.is_hot_food) on both
    sides: no slot is short enough for a dish that keeps zero minutes, so the
    page offers none and place_order, paid through the page or asked
    directly for the slot a plain item would get, books none."""
    kitchen = factories.seller(kind="restaurant", name_ko="옥류관")
    dish = factories.product(category_=world.category, fresh_minutes=0, offers=[(kitchen, 3000, 20)])
    cart = fill_cart(world.customer, [(dish.offers.get(), 1)])
    page = start_checkout(customer_client, world)
    assert page.status_code == 200 and list(page.context["slots"]) == []
    before = snapshot()
    refused = pay(customer_client, checkout_token(page), slot=world.slot, card=world.card)
    assert refused.status_code == 409 and refused.context["form"].errors["slot"]
    with pytest.raises(services.SlotNotOffered):
        services.place_order(user=world.customer, cart=cart, shown_cart=factories.shown_cart(cart),
                             address=world.address, slot_id=world.slot.pk,
                             card_number=world.card.number, pin=factories.PIN, token=uuid.uuid4())
    assert snapshot() == before


def test_an_expired_slot_is_refused_with_a_message(customer_client, world, in_checkout):
    TimeSlot.objects.filter(pk=world.slot.pk).update(
        starts_at=world.slot.starts_at - timedelta(hours=3), ends_at=world.slot.ends_at - timedelta(hours=3))
    before = snapshot()
    response = pay(customer_client, checkout_token(in_checkout), slot=world.slot, card=world.card)
    assert response.status_code == 409
    [error] = response.context["form"].errors.as_data()["slot"]
    assert error.code == "unavailable" and str(error.message) in response.content.decode()
    assert "그 배달시간은 이제 선택할수 없습니다" in response.content.decode()
    assert snapshot() == before


@pytest.mark.parametrize("slot", ["abc", "0", "-1", "1.5", "99999999999999999999", ""])
def test_a_slot_that_is_no_slot_is_refused_with_a_message(customer_client, world, in_checkout, slot):
    """The posted slot is only a number until place_order checks it: one
    that is none, or out of any id's range, is refused like a slot gone."""
    before = snapshot()
    response = customer_client.post(reverse("orders:checkout_pay"), {
        "token": checkout_token(in_checkout), "cart": shown_cart(in_checkout), "slot": slot,
        "card": str(world.card.pk), "pin": factories.PIN})
    assert response.status_code == 409
    [error] = response.context["form"].errors.as_data()["slot"]
    assert str(error.message) in response.content.decode()
    assert snapshot() == before


@pytest.mark.parametrize("status", [Card.Status.LOCKED, Card.Status.CLOSED])
def test_a_card_that_can_no_longer_pay_is_refused_with_a_message(customer_client, world, in_checkout, status):
    # Locked or closed in another tab or by the bureau after the pay page was shown.
    Card.objects.filter(pk=world.card.pk).update(status=status)
    before = snapshot()
    response = pay(customer_client, checkout_token(in_checkout), slot=world.slot, card=world.card)
    assert response.status_code == 409
    [error] = response.context["form"].errors.as_data()["card"]
    assert error.code == "invalid_choice" and str(error.message) in response.content.decode()
    assert "결제할수 없습니다" in response.content.decode()
    assert snapshot() == before


def test_a_slot_beyond_the_booking_horizon_is_not_offered_nor_booked(customer_client, world, soap):
    """A card hold lives 7 days and is captured at pickup: a slot later than
    that would be delivered after the money was released."""
    last = factories.slot(service_=world.service, starts_in=booking.BOOKING_HORIZON - timedelta(hours=1),
                          minutes=60)
    too_late = factories.slot(service_=world.service, starts_in=booking.BOOKING_HORIZON, minutes=60)
    fill_cart(world.customer, [(soap, 1)])
    page = start_checkout(customer_client, world)
    assert [slot.pk for slot in page.context["slots"]] == [world.slot.pk, last.pk]
    before = snapshot()
    refused = pay(customer_client, checkout_token(page), slot=too_late, card=world.card)
    assert refused.status_code == 409 and refused.context["form"].errors["slot"]
    assert snapshot() == before
    assert pay(customer_client, checkout_token(page), slot=last, card=world.card).status_code == 302


def test_a_payment_from_a_page_showing_another_cart_pays_for_nothing(customer_client, world, soap):
    """A late retry of a payment whose cart the customer changed since (or a
    second tab) must not pay for the cart as it is now."""
    fill_cart(world.customer, [(soap, 1)])
    page = start_checkout(customer_client, world)
    customer_client.post(reverse("orders:add"), {"offer": soap.pk, "quantity": 1})
    before = snapshot()
    stale = pay(customer_client, checkout_token(page), slot=world.slot, card=world.card, cart=shown_cart(page))
    assert stale.status_code == 409
    [error] = stale.context["form"].errors.as_data()["__all__"]
    assert error.code == "cart_changed" and str(error.message) in stale.content.decode()
    assert snapshot() == before
    again = pay(customer_client, checkout_token(stale), slot=world.slot, card=world.card, cart=shown_cart(stale))
    assert again.status_code == 302
    assert Order.objects.get().subtotal == 2 * soap.price


def test_a_payment_after_the_price_moved_pays_for_nothing(customer_client, world, soap):
    """The page showed the soap at its old price: paying it at the new one
    would charge what the customer never saw."""
    fill_cart(world.customer, [(soap, 1)])
    page = start_checkout(customer_client, world)
    Offer.objects.filter(pk=soap.pk).update(price=soap.price + 500)
    before = snapshot()
    stale = pay(customer_client, checkout_token(page), slot=world.slot, card=world.card, cart=shown_cart(page))
    assert stale.status_code == 409
    [error] = stale.context["form"].errors.as_data()["__all__"]
    assert error.code == "cart_changed" and "장바구니" in stale.content.decode()
    assert snapshot() == before
    assert f"{soap.price + 500:,}" in stale.content.decode(), "the page shown again has the new price"


def _decline_wrong_pin(world, soap, monkeypatch):
    return {"pin": "9999"}


def _decline_insufficient_funds(world, soap, monkeypatch):
    poor = factories.card(owner=world.customer, balance=1000)
    return {"card": poor}


def _decline_locked_card(world, soap, monkeypatch):
    Card.objects.filter(pk=world.card.pk).update(status=Card.Status.LOCKED)
    return {}


def _slot_full(world, soap, monkeypatch):
    TimeSlot.objects.filter(pk=world.slot.pk).update(booked=10)
    return {}


def _stock_gone(world, soap, monkeypatch):
    Offer.objects.filter(pk=soap.pk).update(stock=1)
    return {}


def _offer_withdrawn(world, soap, monkeypatch):
    Offer.objects.filter(pk=soap.pk).update(is_active=False)
    return {}


def _slot_taken_after_the_form_checked_it(world, soap, monkeypatch):
    # The slot passes place_order's check, and is gone when booked.
    def full(**kwargs):
        raise booking.SlotFull()

    monkeypatch.setattr(booking, "book_slot", full)
    return {}


@pytest.mark.parametrize("failure", [
    _decline_wrong_pin, _decline_insufficient_funds, _decline_locked_card, _slot_full, _stock_gone,
    _offer_withdrawn, _slot_taken_after_the_form_checked_it,
])
def test_a_failure_at_any_step_leaves_the_database_as_it_was(
    customer_client, world, soap, in_checkout, failure, monkeypatch
):
    extra = failure(world, soap, monkeypatch)
    before = snapshot()
    response = pay(customer_client, checkout_token(in_checkout), slot=world.slot, **{"card": world.card, **extra})
    assert response.status_code in (302, 409)
    if response.status_code == 302:
        assert response["Location"] == reverse("orders:cart"), "stock problems send the customer to the cart"
    assert snapshot() == before
    assert Order.objects.count() == 0 and Payment.objects.count() == 0


def test_a_second_submit_of_the_same_form_gives_the_same_order(customer_client, world, in_checkout):
    token = checkout_token(in_checkout)
    first = pay(customer_client, token, slot=world.slot, card=world.card)
    second = pay(customer_client, token, slot=world.slot, card=world.card)
    order = Order.objects.get()
    assert first["Location"] == second["Location"] == order.get_absolute_url()
    assert Payment.objects.count() == 1
    assert Offer.objects.get(seller=world.store).stock == 8


@pytest.mark.parametrize("address_chosen_again", [False, True], ids=["no address", "form out of date"])
def test_a_replay_after_the_cart_changed_gives_the_first_order(customer_client, world, in_checkout, soap,
                                                                address_chosen_again):
    """The first submit's answer was lost; meanwhile the customer put soap in
    the cart again (and, in another tab, chose the address again): the
    replayed form, out of date for the cart, still lands on its order."""
    form = {"token": checkout_token(in_checkout), "cart": shown_cart(in_checkout), "slot": world.slot.pk,
            "card": str(world.card.pk), "pin": factories.PIN}
    first = customer_client.post(reverse("orders:checkout_pay"), form)
    fill_cart(world.customer, [(soap, 1)])
    if address_chosen_again:
        start_checkout(customer_client, world)
    again = customer_client.post(reverse("orders:checkout_pay"), form)
    assert again.status_code == 302 and again["Location"] == first["Location"] == Order.objects.get().get_absolute_url()
    assert Payment.objects.count() == 1
    assert list(CartLine.objects.filter(cart__user=world.customer).values_list("quantity", flat=True)) == [1]


def test_an_empty_cart_cannot_reach_the_pay_page(customer_client, world):
    customer_client.post(reverse("orders:checkout"), {"address": world.address.pk})
    assert customer_client.get(reverse("orders:checkout_pay"))["Location"] == reverse("orders:cart")


@pytest.mark.parametrize("page", ["orders:checkout", "orders:checkout_pay"])
def test_checkout_pages_run_the_same_queries_for_2_and_20_lines(client, world, page):
    offers = many_offers(world, 20)

    def count(lines):
        buyer = factories.user()
        fill_cart(buyer, [(offer, 1) for offer in offers[:lines]])
        address = factories.address(owner=buyer, district_=world.district)
        factories.card(owner=buyer)
        client.force_login(buyer)
        client.post(reverse("orders:checkout"), {"address": address.pk})
        with CaptureQueriesContext(connection) as queries:
            response = client.get(reverse(page))
        assert response.status_code == 200
        return len(queries)

    assert count(2) == count(20)


def test_paying_for_one_line_takes_at_most_50_sql_statements(customer_client, world, in_checkout):
    form = {"token": checkout_token(in_checkout), "slot": world.slot.pk, "card": world.card.pk, "pin": factories.PIN,
            "cart": shown_cart(in_checkout)}
    with CaptureQueriesContext(connection) as queries:
        response = customer_client.post(reverse("orders:checkout_pay"), form)
    assert response.status_code == 302 and Order.objects.get().status == Order.Status.PAID
    assert len(queries) <= 50, "\n".join(query["sql"][:100] for query in queries)


def test_the_products_best_price_moves_when_a_checkout_sells_out_its_cheapest_offer(customer_client, world):
    cheapest = Offer.objects.get(seller=world.factory)
    for quantity, best_price, stock_left in ((2, 1400, 3), (3, 1500, 0)):
        fill_cart(world.customer, [(cheapest, quantity)])
        response = pay(customer_client, checkout_token(start_checkout(customer_client, world)), slot=world.slot,
                       card=world.card)
        assert response.status_code == 302
        world.soap.refresh_from_db()
        cheapest.refresh_from_db()
        assert (world.soap.best_price, world.soap.in_stock, cheapest.stock) == (best_price, True, stock_left)
    assert world.soap.units_sold == 5
    assert customer_client.get(world.soap.get_absolute_url()).context["product"].best_price == 1500
