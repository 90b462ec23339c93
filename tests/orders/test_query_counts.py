"""The customer's cart, checkout and order pages run the same, small number
of SQL queries with 10 products in the catalogue as with 1,000."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from orders.views import SESSION_ADDRESS_ID
from tests import factories
from tests.orders.helpers import fill_cart, many_offers

pytestmark = pytest.mark.django_db

MAX_QUERIES = 10

PAGES = [
    ("cart", lambda order: reverse("orders:cart")),
    ("checkout", lambda order: reverse("orders:checkout")),
    ("checkout pay", lambda order: reverse("orders:checkout_pay")),
    ("order list", lambda order: reverse("orders:list")),
    ("order detail", lambda order: reverse("orders:detail", args=[order.number])),
    ("receipt", lambda order: reverse("orders:receipt", args=[order.number])),
]


@pytest.mark.parametrize(("name", "url"), PAGES, ids=[name for name, _ in PAGES])
def test_the_query_count_does_not_grow_with_the_catalogue(customer_client, world, name, url):
    offers = many_offers(world, 4)
    fill_cart(world.customer, [(offer, 1) for offer in offers])
    order = factories.paid_order(customer=world.customer, card_=world.card, address_=world.address,
                                 offer=offers[0], slot_=world.slot)
    fill_cart(world.customer, [(offer, 2) for offer in offers[1:]])
    session = customer_client.session
    session[SESSION_ADDRESS_ID] = world.address.pk
    session.save()

    def count() -> int:
        customer_client.get(url(order))  # the session and the cart count warmed up
        with CaptureQueriesContext(connection) as queries:
            assert customer_client.get(url(order)).status_code == 200
        return len(queries)

    small = count()
    assert small <= MAX_QUERIES
    factories.bulk_products(1000, category_=world.category, sellers=[world.store, world.factory])
    assert count() == small


CART_MAX_QUERIES = 5


def _queries(request) -> int:
    with CaptureQueriesContext(connection) as queries:
        response = request()
    assert response.status_code in (200, 302), response.status_code
    return len(queries)


@pytest.mark.parametrize("lines", [1, 20])
def test_adding_to_a_cart_of_any_size_takes_at_most_five_queries(customer_client, world, lines):
    offers = many_offers(world, lines + 1)
    fill_cart(world.customer, [(offer, 1) for offer in offers[:lines]])
    customer_client.get(reverse("orders:cart"))

    def add(offer):
        return _queries(lambda: customer_client.post(reverse("orders:add"), {"offer": offer.pk, "quantity": 2}))

    assert add(offers[0]) <= CART_MAX_QUERIES, "more of a line already there"
    assert add(offers[lines]) <= CART_MAX_QUERIES, "a new line"
    assert customer_client.session["cart_count"] == lines + 4
    assert dict(world.customer.cart.lines.values_list("offer_id", "quantity"))[offers[0].pk] == 3


def test_an_anonymous_visitor_adds_in_at_most_five_queries(client, world):
    offers = many_offers(world, 2)
    client.post(reverse("orders:add"), {"offer": offers[0].pk, "quantity": 1})
    assert _queries(lambda: client.post(reverse("orders:add"), {"offer": offers[1].pk, "quantity": 1})) \
        <= CART_MAX_QUERIES
    assert client.session["cart_count"] == 2


@pytest.mark.parametrize("lines", [1, 20])
def test_the_cart_page_of_any_size_takes_at_most_five_queries(customer_client, world, lines):
    offers = many_offers(world, lines)
    fill_cart(world.customer, [(offer, 1) for offer in offers])
    customer_client.get(reverse("orders:cart"))
    assert _queries(lambda: customer_client.get(reverse("orders:cart"))) <= CART_MAX_QUERIES
    assert len(customer_client.get(reverse("orders:cart")).context["lines"]) == lines
