"""A seller's staff see, in the admin, each of their offers against the
other sellers of the same product: only their own rows (another seller's
answer 404), and of the others only what customers see and one total."""

from datetime import timedelta

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from catalog.models import Offer
from catalog.services import set_offer_prices
from orders.models import Order
from tests import factories
from tests.orders import test_admin
from tests.orders.test_admin import buy

# The personas and orders of the orders admin's tests.
kitchen_client, orders, seller_staff_group = test_admin.kitchen_client, test_admin.orders, test_admin.seller_staff_group

pytestmark = pytest.mark.django_db



def changelist():
    return reverse("admin:catalog_standing_changelist")


def rows(response):
    return {(offer.seller.slug, offer.price, offer.cheapest_other, offer.rank, offer.units_mine, offer.units_others)
            for offer in response.context["cl"].result_list}


@pytest.fixture
def factory_client(world, seller_staff_group):
    """The factory's staff, on a client of their own beside kitchen_client's."""
    client = Client()
    person = factories.user("factoryclerk", is_staff=True)
    person.groups.add(seller_staff_group)
    world.factory.staff.add(person)
    client.force_login(person)
    return client


def test_seller_staff_see_their_own_offers_against_the_others(kitchen_client, world, orders):
    # orders: the store sold 2 (alone and mixed), the factory 2; one more, too old to count.
    old = buy(world, [Offer.objects.get(seller=world.factory)], buyer=factories.user("oldbuyer"))
    Order.objects.filter(pk=old.pk).update(created_at=timezone.now() - timedelta(days=31))
    response = kitchen_client.get(changelist())
    assert response.status_code == 200
    assert rows(response) == {(world.store.slug, 1500, 1400, 2, 2, 2)}
    page = response.content.decode()
    assert "2곳 중 2위" in page and "1,400원" in page
    assert world.factory.name_ko not in page, "the other seller is not named"


def test_a_cancelled_order_is_no_sale(kitchen_client, world, orders):
    Order.objects.filter(pk=orders["factory"].pk).update(status=Order.Status.CANCELLED)
    assert rows(kitchen_client.get(changelist())) == {(world.store.slug, 1500, 1400, 2, 2, 1)}


def test_the_filter_keeps_where_i_am_not_the_cheapest(kitchen_client, factory_client, world):
    assert len(rows(kitchen_client.get(changelist(), {"cheapest": "no"}))) == 1
    assert rows(factory_client.get(changelist(), {"cheapest": "no"})) == set()
    assert rows(factory_client.get(changelist())) == {(world.factory.slug, 1400, 1500, 1, 0, 0)}
    set_offer_prices(prices={Offer.objects.get(seller=world.factory).pk: 1500}, source="admin")
    assert rows(kitchen_client.get(changelist(), {"cheapest": "no"})) == set(), "a tie is not dearer"
    assert kitchen_client.get(changelist(), {"cheapest": "maybe"}).status_code in (200, 302)


def test_the_only_seller_of_a_product_is_first_of_one(kitchen_client, world):
    factories.product(category_=world.category, slug="only", offers=[(world.store, 900, 3)])
    response = kitchen_client.get(changelist(), {"q": ""})
    assert (world.store.slug, 900, None, 1, 0, 0) in rows(response)


def test_another_sellers_row_answers_404(kitchen_client, factory_client, world):
    mine = Offer.objects.get(seller=world.store)
    set_offer_prices(prices={mine.pk: 1450}, source="admin")
    own = kitchen_client.get(reverse("admin:catalog_standing_change", args=[mine.pk]))
    assert own.status_code == 200
    assert "1,450" in own.content.decode() and "1,500" in own.content.decode(), "its price history"
    for url in ("admin:catalog_standing_change", "admin:catalog_standing_history"):
        assert factory_client.get(reverse(url, args=[mine.pk])).status_code == 404
    assert factory_client.get(reverse("admin:catalog_standing_change", args=["nonsense"])).status_code == 404


def test_it_is_read_only(kitchen_client, world):
    mine = Offer.objects.get(seller=world.store)
    response = kitchen_client.post(reverse("admin:catalog_standing_change", args=[mine.pk]), {"price": 1})
    assert response.status_code == 403
    assert kitchen_client.get(reverse("admin:catalog_standing_add")).status_code == 403
    assert Offer.objects.get(pk=mine.pk).price == 1500


def test_bureau_staff_see_every_offer(staff_client, world):
    assert {row[0] for row in rows(staff_client.get(changelist()))} == {world.store.slug, world.factory.slug}


def test_staff_without_the_orders_permission_are_refused(client, world):
    client.force_login(factories.user("nobody", is_staff=True))
    assert client.get(changelist()).status_code == 403


def test_seller_staff_find_it_on_the_admin_index(kitchen_client):
    assert changelist() in kitchen_client.get(reverse("admin:index")).content.decode()
