"""Wish lists and back-in-stock notices: the heart on a product page (this
visitor's own, never in the shared cached page), the wish list with each
item's best price now, and one notice per watcher per restock, none for a
second restock within the hour."""

from datetime import timedelta

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from catalog.models import Offer, Product, WishItem
from okryu.notices.models import Event, Notice
from tests import factories
from tests.okryu.conftest import jobs  # noqa: F401 (the fixture that runs deferred jobs)


def heart(client, product) -> str:
    html = client.get(product.get_absolute_url(), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    return "on" if "On your wish list" in html else "off" if "Add to wish list" in html else "none"


def change(client, product, action):
    return client.post(reverse("catalog:change_wish", args=[product.slug]), {"action": action})


@pytest.fixture
def sold_out(world):
    Offer.objects.filter(product=world.soap).update(stock=0)
    Product.objects.filter(pk=world.soap.pk).update(in_stock=False)
    world.soap.refresh_from_db()
    return world.soap


@pytest.mark.django_db
class TestWishList:
    def test_the_heart_is_each_visitors_own_on_the_same_cached_page(self, customer_client, world):
        other = Client()
        other.force_login(factories.user())

        assert change(customer_client, world.soap, "add").status_code == 302

        assert heart(customer_client, world.soap) == "on"
        assert heart(other, world.soap) == "off"
        assert heart(Client(), world.soap) == "off"  # a visitor is asked to log in when they press it

    def test_the_browsers_copy_is_not_confirmed_after_the_heart_changed(self, customer_client, world):
        url = world.soap.get_absolute_url()
        customer_client.get(url)  # the first visit sets the CSRF cookie, which the ETag covers
        before = customer_client.get(url)
        assert customer_client.get(url, HTTP_IF_NONE_MATCH=before["ETag"]).status_code == 304

        change(customer_client, world.soap, "add")

        assert customer_client.get(url, HTTP_IF_NONE_MATCH=before["ETag"]).status_code == 200

    def test_the_list_shows_each_items_best_price_now_and_removes(self, customer_client, world):
        change(customer_client, world.soap, "add")
        Offer.objects.filter(product=world.soap, seller=world.factory).update(price=1200)
        Product.objects.filter(pk=world.soap.pk).update(best_price=1200)

        page = customer_client.get(reverse("catalog:wish_list"), HTTP_ACCEPT_LANGUAGE="en")
        assert "best price now ₩1,200" in page.content.decode()

        change(customer_client, world.soap, "remove")
        assert not WishItem.objects.exists()

    def test_adding_twice_keeps_one_item(self, customer_client, world):
        change(customer_client, world.soap, "add")
        change(customer_client, world.soap, "add")

        assert WishItem.objects.count() == 1

    def test_a_sold_out_product_can_be_watched(self, customer_client, world, sold_out):
        html = customer_client.get(sold_out.get_absolute_url(), HTTP_ACCEPT_LANGUAGE="en").content.decode()
        assert "Tell me when it is back in stock" in html

        change(customer_client, sold_out, "watch")

        assert WishItem.objects.get().watching
        assert "We will tell you when it is back in stock." in customer_client.get(
            sold_out.get_absolute_url(), HTTP_ACCEPT_LANGUAGE="en").content.decode()

    def test_bad_input(self, customer_client, world):
        url = reverse("catalog:change_wish", args=[world.soap.slug])
        assert customer_client.post(url, {"action": "explode"}).status_code == 400
        assert customer_client.post(reverse("catalog:change_wish", args=["no-such"]), {"action": "add"}
                                    ).status_code == 404
        assert customer_client.get(url).status_code == 405
        visitor = Client()
        assert "/login/" in visitor.post(url, {"action": "add"})["Location"]
        assert not WishItem.objects.exists()
        assert "/login/" in visitor.get(reverse("catalog:wish_list"))["Location"]

    def test_someone_elses_list_is_not_shown(self, customer_client, world):
        WishItem.objects.create(user=factories.user(), product=world.soap)

        page = customer_client.get(reverse("catalog:wish_list"), HTTP_ACCEPT_LANGUAGE="en")

        assert world.soap.name_en not in page.content.decode()


def restock(staff, product, stock: int):
    """A seller's stock raised through the admin, as staff do it."""
    offer = product.offers.order_by("pk").first()
    data = {
        "category": product.category_id, "slug": product.slug, "name_ko": product.name_ko,
        "name_en": product.name_en, "is_active": "on",
        "offers-TOTAL_FORMS": 1, "offers-INITIAL_FORMS": 1, "media-TOTAL_FORMS": 0, "media-INITIAL_FORMS": 0,
        "attribute_values-TOTAL_FORMS": 0, "attribute_values-INITIAL_FORMS": 0,
        "offers-0-id": offer.pk, "offers-0-product": product.pk, "offers-0-seller": offer.seller_id,
        "offers-0-price": offer.price, "offers-0-stock": stock, "offers-0-is_active": "on",
    }
    response = staff.post(reverse("admin:catalog_product_change", args=[product.pk]), data)
    assert response.status_code == 302, response.content.decode()[:2000]


def sell_out(product):
    from catalog.services import refresh_product_summaries

    Offer.objects.filter(product=product).update(stock=0)
    refresh_product_summaries(product_ids=[product.pk])


def test_three_watchers_one_restock_three_notices_and_a_second_restock_within_the_hour_none(
        world, jobs, staff_client, monkeypatch):  # noqa: F811
    sell_out(world.soap)
    watchers = [factories.user(language="en"), factories.user(), factories.user()]
    for watcher in watchers:
        WishItem.objects.create(user=watcher, product=world.soap, watching=True)
    WishItem.objects.create(user=factories.user(), product=world.soap)  # on a wish list, not watching

    restock(staff_client, world.soap, 5)
    jobs.run()

    notices = Notice.objects.filter(event=Event.BACK_IN_STOCK)
    assert sorted(notices.values_list("recipient_id", flat=True)) == sorted(watcher.pk for watcher in watchers)
    assert "Ginseng soap is back in stock, from ₩1,500." in notices.get(recipient=watchers[0]).text

    sell_out(world.soap)
    restock(staff_client, world.soap, 2)
    jobs.run()
    assert notices.count() == 3

    # An hour on, the next restock is news again.
    later = timezone.now() + timedelta(hours=1, minutes=1)
    monkeypatch.setattr(timezone, "now", lambda: later)
    sell_out(world.soap)
    restock(staff_client, world.soap, 4)
    jobs.run()
    assert notices.count() == 6
