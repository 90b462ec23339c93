"""The database router: which alias a page's reads take, told apart by each
alias's query log. "replica" is a mirror of the test database (test
settings), so its connection sees what the test committed: the tests are
transactional."""

import pytest
from django.db import connections
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from okryu.db import PIN_COOKIE
from orders.models import Order
from tests.orders.helpers import checkout_token, pay, start_checkout

pytestmark = pytest.mark.django_db(transaction=True, databases=["default", "replica"])


@pytest.fixture(autouse=True)
def _one_replica(settings):
    settings.DATABASE_REPLICAS = ["replica"]


def queries_by_alias(client, method: str, path: str, data=None):
    """The response and the SQL each alias ran while answering it."""
    with CaptureQueriesContext(connections["default"]) as primary, \
            CaptureQueriesContext(connections["replica"]) as replica:
        response = getattr(client, method)(path, data)
    return response, [q["sql"] for q in primary], [q["sql"] for q in replica]


def test_a_catalogue_page_reads_the_catalogue_from_the_replica(client, world):
    response, primary, replica = queries_by_alias(client, "get", reverse("catalog:product", args=[world.soap.slug]))

    assert response.status_code == 200
    assert any('FROM "catalog_product"' in sql for sql in replica)
    assert any('FROM "catalog_offer"' in sql for sql in replica)
    assert not any('FROM "catalog_product"' in sql for sql in primary)


def test_search_and_category_pages_read_from_the_replica(client, world):
    for path in (reverse("catalog:search") + "?q=soap", reverse("catalog:category", args=[world.category.slug])):
        response, primary, replica = queries_by_alias(client, "get", path)
        assert response.status_code == 200
        assert any('"catalog_product"' in sql for sql in replica), path
        assert not any('"catalog_product"' in sql for sql in primary), path


def test_the_session_and_the_catalogue_version_come_from_the_primary(customer_client, world):
    _response, primary, replica = queries_by_alias(
        customer_client, "get", reverse("catalog:product", args=[world.soap.slug]))

    assert any('FROM "django_session"' in sql for sql in primary)
    assert any("catalog_version" in sql for sql in primary)
    assert not any("django_session" in sql or "catalog_version" in sql for sql in replica)


def test_a_customer_who_just_added_to_the_cart_reads_from_the_primary(customer_client, world):
    offer = world.soap.offers.get(seller=world.store)

    added, _primary, replica = queries_by_alias(customer_client, "post", reverse("orders:add"),
                                                {"offer": offer.pk, "quantity": 1})
    assert added.status_code == 302
    assert added.cookies[PIN_COOKIE]["max-age"] == 10
    assert replica == []

    cart, primary, replica = queries_by_alias(customer_client, "get", reverse("orders:cart"))
    assert world.soap.name in cart.content.decode()
    assert any('FROM "orders_cartline"' in sql for sql in primary)
    assert replica == []

    # Even the catalogue pages, with the cart count in their header.
    product_page = reverse("catalog:product", args=[world.soap.slug])
    page, primary, replica = queries_by_alias(customer_client, "get", product_page)
    assert page.status_code == 200
    assert any('FROM "catalog_product"' in sql for sql in primary)
    assert replica == []


def test_once_the_pin_has_expired_the_catalogue_reads_the_replica_again(customer_client, world):
    customer_client.post(reverse("orders:add"), {"offer": world.soap.offers.first().pk, "quantity": 1})
    del customer_client.cookies[PIN_COOKIE]  # as the browser drops it after max-age

    product_page = reverse("catalog:product", args=[world.soap.slug])
    _page, _primary, replica = queries_by_alias(customer_client, "get", product_page)

    assert any('FROM "catalog_product"' in sql for sql in replica)


def test_a_checkout_reads_only_from_the_primary(customer_client, world):
    customer_client.post(reverse("orders:add"), {"offer": world.soap.offers.first().pk, "quantity": 1})
    # No pin: the checkout's own views must keep to the primary anyway.
    del customer_client.cookies[PIN_COOKIE]

    with CaptureQueriesContext(connections["replica"]) as replica:
        page = start_checkout(customer_client, world)
        del customer_client.cookies[PIN_COOKIE]
        paid = pay(customer_client, checkout_token(page), slot=world.slot, card=world.card)

    assert paid.status_code == 302
    assert Order.objects.filter(user=world.customer).count() == 1
    assert replica.captured_queries == []


def test_a_replica_that_does_not_answer_leaves_the_page_to_the_primary(client, world):
    replica = connections["replica"]
    replica.close()
    port = replica.settings_dict["PORT"]
    replica.settings_dict["PORT"] = "1"  # nothing listens there
    try:
        with CaptureQueriesContext(connections["default"]) as primary:
            response = client.get(reverse("catalog:product", args=[world.soap.slug]))
        assert replica.connection is None
    finally:
        replica.settings_dict["PORT"] = port

    assert response.status_code == 200
    assert any('FROM "catalog_product"' in query["sql"] for query in primary)


def test_a_page_missing_from_the_cache_is_built_from_the_primary_while_the_replica_lags(client, world, monkeypatch):
    # What is built now is cached under the catalogue version the primary
    # has: from a replica behind it, the old rows would stay cached.
    monkeypatch.setattr("okryu.db._caught_up", lambda alias: False)

    response, primary, replica = queries_by_alias(client, "get", reverse("catalog:product", args=[world.soap.slug]))

    assert response.status_code == 200
    assert any('FROM "catalog_product"' in sql for sql in primary)
    assert not any('FROM "catalog_product"' in sql for sql in replica)


def test_the_lag_check_compares_the_replicas_position_with_the_primarys():
    from okryu.db import _caught_up

    assert _caught_up("replica") is True  # the mirror is the primary itself


def test_the_lodging_search_reads_from_the_replica(client, db):
    response, _primary, replica = queries_by_alias(client, "get", reverse("lodging:search"))

    assert response.status_code == 200
    assert any("FROM lodging_roomtype" in sql for sql in replica)


def test_with_no_replica_configured_no_pin_is_set_and_everything_reads_the_primary(customer_client, world, settings):
    settings.DATABASE_REPLICAS = []

    added, _primary, replica = queries_by_alias(customer_client, "post", reverse("orders:add"),
                                                {"offer": world.soap.offers.first().pk, "quantity": 1})
    page, primary, replica_page = queries_by_alias(customer_client, "get", reverse("catalog:home"))

    assert PIN_COOKIE not in added.cookies
    assert replica == replica_page == []
    assert page.status_code == 200
