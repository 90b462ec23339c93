"""Checkouts racing on real threads against PostgreSQL: the same form
submitted ten times at once, twenty buyers for the last five units, a
cancel racing new checkouts over the same stock and slot, and an add to the
cart while a checkout pays for it."""

import threading
import uuid

import pytest

from catalog.models import Offer
from catalog.services import OutOfStock
from delivery import booking
from delivery.models import TimeSlot
from orders import services
from orders.models import Cart, CartLine, Order
from payments.models import Payment
from tests import factories
from tests.orders.helpers import fill_cart
from tests.races import race

pytestmark = pytest.mark.django_db(transaction=True)


def checkout(world, *, user, card, address, token):
    return lambda: services.place_order(
        user=user, cart=user.cart, shown_cart=factories.shown_cart(user.cart), address=address, slot_id=world.slot.pk,
        card_number=card.number, pin=factories.PIN, token=token,
    )


def test_the_same_checkout_submitted_ten_times_at_once_makes_one_order(world):
    offer = Offer.objects.get(seller=world.store)
    fill_cart(world.customer, [(offer, 2)])
    token = uuid.uuid4()
    results = race(*[
        checkout(world, user=world.customer, card=world.card, address=world.address, token=token)
        for _ in range(10)
    ])
    order = Order.objects.get()
    assert all(result == order for result in results), results
    assert Payment.objects.count() == 1
    assert Offer.objects.get(pk=offer.pk).stock == 8
    assert TimeSlot.objects.get(pk=world.slot.pk).booked == 1


def test_twenty_buyers_for_the_last_five_units(world):
    offer = Offer.objects.get(seller=world.store)
    Offer.objects.filter(pk=offer.pk).update(stock=5)
    TimeSlot.objects.filter(pk=world.slot.pk).update(capacity=50)
    calls = []
    for _ in range(20):
        buyer = factories.user()
        fill_cart(buyer, [(offer, 1)])
        calls.append(checkout(
            world, user=buyer, card=factories.card(owner=buyer, balance=10_000),
            address=factories.address(owner=buyer, district_=world.district), token=uuid.uuid4(),
        ))
    results = race(*calls, expect=(OutOfStock,))

    orders = [result for result in results if isinstance(result, Order)]
    refused = [result for result in results if isinstance(result, OutOfStock)]
    assert len(orders) == 5 and len(refused) == 15, results
    assert all(error.available == 0 for error in refused), "each is told nothing is left"
    assert Offer.objects.get(pk=offer.pk).stock == 0
    assert Order.objects.count() == 5 and Payment.objects.count() == 5
    assert TimeSlot.objects.get(pk=world.slot.pk).booked == 5


def test_cancels_and_checkouts_over_the_same_stock_do_not_deadlock(world):
    soap = Offer.objects.get(seller=world.store)
    cheaper = Offer.objects.get(seller=world.factory)
    Offer.objects.filter(pk=cheaper.pk).update(stock=10)
    TimeSlot.objects.filter(pk=world.slot.pk).update(capacity=50)
    placed = []
    for _ in range(4):
        buyer = factories.user()
        fill_cart(buyer, [(soap, 1), (cheaper, 1)])
        card = factories.card(owner=buyer)
        address = factories.address(owner=buyer, district_=world.district)
        placed.append(checkout(world, user=buyer, card=card, address=address, token=uuid.uuid4())())
    calls = [lambda order=order: services.cancel_order(order=order, by=order.user) for order in placed]
    for _ in range(4):
        buyer = factories.user()
        fill_cart(buyer, [(soap, 1), (cheaper, 1)])
        calls.append(checkout(
            world, user=buyer, card=factories.card(owner=buyer),
            address=factories.address(owner=buyer, district_=world.district), token=uuid.uuid4(),
        ))
    results = race(*calls)

    assert not [result for result in results if isinstance(result, Exception)], results
    assert Order.objects.filter(status=Order.Status.CANCELLED).count() == 4
    assert Order.objects.filter(status=Order.Status.PAID).count() == 4
    assert Offer.objects.get(pk=soap.pk).stock == 10 - 4
    assert Offer.objects.get(pk=cheaper.pk).stock == 10 - 4
    assert TimeSlot.objects.get(pk=world.slot.pk).booked == 2 * 4


def test_adds_of_one_offer_at_once_each_count_and_stop_at_the_limit(world):
    """A customer's first add, racing others on two tabs: one cart, one line,
    every accepted add counted, and the limit holds."""
    offer = Offer.objects.get(seller=world.store)
    Offer.objects.filter(pk=offer.pk).update(stock=500)
    offer.refresh_from_db()
    results = race(*[
        lambda: services.add_to_cart(cart=Cart(user=world.customer), offer=offer, quantity=30) for _ in range(5)
    ], expect=(services.QuantityTooLarge,))
    added = [result for result in results if not isinstance(result, services.QuantityTooLarge)]
    assert len(added) == 3, "three times 30 fit in 99, a fourth does not"
    assert CartLine.objects.get(cart__user=world.customer).quantity == 90
    assert Cart.objects.filter(user=world.customer).count() == 1
    assert sorted(line.quantity for line in added) == [30, 60, 90]


@pytest.mark.parametrize("added_seller", ["factory", "store"], ids=["another offer", "the offer being paid"])
def test_an_add_to_the_cart_while_a_checkout_pays_stays_in_the_cart(world, monkeypatch, added_seller):
    """A second tab adds soap while the first one's checkout holds its locks
    (paused after booking the slot, its last step before the commit). The
    order is the two soaps the page showed; the soap added is still in the
    cart afterwards, on a line of its own: an add to a line being paid for
    waits for the checkout, whose commit removes only the lines it paid."""
    paid = Offer.objects.get(seller=world.store)
    added = Offer.objects.get(seller=getattr(world, added_seller))
    fill_cart(world.customer, [(paid, 2)])
    locked, add_returned = threading.Event(), threading.Event()
    book_slot = booking.book_slot

    def book_slot_then_let_the_add_in(**kwargs):
        book_slot(**kwargs)
        locked.set()
        # An add that does not wait for the checkout returns in milliseconds.
        add_returned.wait(timeout=1)

    def add_in_another_tab():
        assert locked.wait(timeout=30)
        services.add_to_cart(cart=Cart(user=world.customer), offer=added, quantity=1)
        add_returned.set()

    monkeypatch.setattr(booking, "book_slot", book_slot_then_let_the_add_in)
    order, _ = race(checkout(world, user=world.customer, card=world.card, address=world.address,
                             token=uuid.uuid4()), add_in_another_tab)
    assert list(order.lines.values_list("offer_id", "quantity")) == [(paid.pk, 2)]
    assert list(CartLine.objects.filter(cart__user=world.customer).values_list("offer_id", "quantity")) == [
        (added.pk, 1)]
