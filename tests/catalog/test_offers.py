"""The product page names its cheapest available offer (and the best-rated
one) in words, sold-out offers last; a seller's page prices, sorts and pages
by that seller's own price."""

import re

import pytest
from django.urls import reverse
from django.utils.translation import override

from catalog.models import Offer, Seller
from tests import factories

pytestmark = pytest.mark.django_db


def offer_rows(html: str) -> list[str]:
    """Each offer row's text, tags stripped, in page order."""
    rows = re.findall(r'<li class="offer[^"]*">(.*?)</li>', html, re.S)
    return [" ".join(re.sub(r"<[^>]+>", " ", row).split()) for row in rows]


def product_page(client, product) -> str:
    with override("en"):
        response = client.get(product.get_absolute_url(), HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 200
    return response.content.decode()


def test_the_cheapest_offer_in_stock_is_named_and_a_cheaper_sold_out_one_goes_last(client, world):
    sold_out = factories.seller(name_en="Empty Shelf")
    Offer.objects.create(product=world.soap, seller=sold_out, price=900, stock=0)

    rows = offer_rows(product_page(client, world.soap))

    assert len(rows) == 3
    assert rows[0].startswith("Cheapest available offer Pomhyanggi Factory")
    assert "Kwangbok Store" in rows[1] and "Cheapest" not in rows[1]
    assert "Empty Shelf" in rows[2] and "Sold out" in rows[2] and "Cheapest" not in rows[2]


def test_the_best_rated_seller_is_named_when_it_is_not_the_cheapest(client, world):
    Seller.objects.filter(pk=world.store.pk).update(rating=4.8, rating_count=12)
    Seller.objects.filter(pk=world.factory.pk).update(rating=3.9, rating_count=30)

    rows = offer_rows(product_page(client, world.soap))

    assert rows[0].startswith("Cheapest available offer Pomhyanggi Factory")
    assert rows[1].startswith("Best-rated seller Kwangbok Store")


def test_one_mark_only_when_the_cheapest_is_also_the_best_rated(client, world):
    Seller.objects.filter(pk=world.factory.pk).update(rating=4.9, rating_count=3)

    html = product_page(client, world.soap)

    assert html.count("Cheapest available offer") == 1
    assert "Best-rated seller" not in html


def test_nothing_is_called_cheapest_when_every_offer_is_sold_out(client, world):
    Offer.objects.filter(product=world.soap).update(stock=0)

    html = product_page(client, world.soap)

    assert "Cheapest available offer" not in html
    assert html.count("Sold out") == 2


def test_the_marks_are_in_korean_by_default(client, world):
    html = client.get(world.soap.get_absolute_url()).content.decode()

    assert "살수 있는 가장 싼 값" in html


@pytest.fixture
def two_sellers(world):
    """Three products both sellers offer; the store's own prices order them
    the other way round from their best prices."""
    items = [
        factories.product(category_=world.category, slug=f"pair-{n}",
                          offers=[(world.store, store_price, stock), (world.factory, factory_price, 3)])
        for n, (store_price, factory_price, stock) in enumerate([(5000, 100, 2), (4000, 200, 0), (3000, 300, 1)])
    ]
    return items


def seller_page(client, seller, **params):
    response = client.get(reverse("catalog:seller", args=[seller.slug]), params)
    assert response.status_code == 200
    return response


def test_a_sellers_page_shows_and_sorts_by_its_own_price(client, world, two_sellers):
    response = seller_page(client, world.store)

    own = [(product.slug, product.own_price) for product in response.context["products"]]
    assert own == [("ginseng-soap", 1500), ("pair-2", 3000), ("pair-1", 4000), ("pair-0", 5000)]
    prices = re.findall(r'<span class="price">([^<]+)</span>', response.content.decode())
    assert prices == ["1,500원", "3,000원", "4,000원", "5,000원"]
    assert "다른 곳에서는 100원부터" in response.content.decode()


def test_its_own_sold_out_offer_is_marked_on_its_page(client, world, two_sellers):
    html = seller_page(client, world.store, sort="priciest").content.decode()

    cards = re.findall(r'<li class="card">(.*?)</li>', html, re.S)
    assert [("매진" in card) for card in cards] == [False, True, False, False]


def test_price_filters_and_pages_use_the_sellers_own_price(client, world, two_sellers, monkeypatch):
    monkeypatch.setattr("catalog.views.PAGE_SIZE", 2)
    assert [p.slug for p in seller_page(client, world.store, price_min=3500).context["products"]] == [
        "pair-1", "pair-0"]

    first = seller_page(client, world.store, sort="priciest").context["page"]
    second = seller_page(client, world.store, sort="priciest", after=first.next_cursor).context["page"]

    assert [p.own_price for p in first.items] == [5000, 4000]
    assert [p.own_price for p in second.items] == [3000, 1500]
    back = seller_page(client, world.store, sort="priciest", before=second.previous_cursor).context["page"]
    assert [p.own_price for p in back.items] == [5000, 4000]


def test_another_sellers_products_are_not_on_the_page(client, world, two_sellers):
    other = factories.seller()
    factories.product(category_=world.category, slug="only-elsewhere", offers=[(other, 10, 1)])

    slugs = [p.slug for p in seller_page(client, world.store).context["products"]]

    assert "only-elsewhere" not in slugs and len(slugs) == 4
