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
