"""Category and seller listings: filters, sorts, keyset pages, bad parameters."""

import re
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from catalog.models import Product
from tests import factories

pytestmark = pytest.mark.django_db


@pytest.fixture
def shop(world):
    """Food > Noodles > Cold noodles, with products on each level from a
    store, a factory and a restaurant."""
    food = factories.category(name_ko="식료품", name_en="Food", slug="food")
    noodles = factories.category(name_ko="국수", name_en="Noodles", slug="noodles", parent=food)
    cold = factories.category(name_ko="랭면", name_en="Cold noodles", slug="cold-noodles", parent=noodles)
    restaurant = factories.seller(kind="restaurant", name_ko="옥류관", slug="okryukwan")
    rice = factories.product(category_=food, slug="rice", offers=[(world.store, 3000, 10)])
    dried = factories.product(category_=noodles, slug="dried", offers=[(world.factory, 2000, 0)])
    cold_dish = factories.product(category_=cold, slug="cold", offers=[(restaurant, 8000, 4), (world.store, 9000, 1)])
    factories.product(category_=food, slug="unsold")  # no offer: nothing to buy, not listed
    Product.objects.filter(slug="rice").update(rating=4.5, rating_count=2, units_sold=5,
                                               created_at=timezone.now() - timedelta(days=3))
    Product.objects.filter(slug="dried").update(rating=3.2, rating_count=1, units_sold=50,
                                                created_at=timezone.now() - timedelta(days=1))
    Product.objects.filter(slug="cold").update(rating=2.0, rating_count=1, units_sold=20,
                                               created_at=timezone.now() - timedelta(days=2))
    return {"food": food, "noodles": noodles, "restaurant": restaurant, "rice": rice, "dried": dried,
            "cold": cold_dish}


def listed(client, url, **params):
    response = client.get(url, params)
    assert response.status_code == 200
    return [product.slug for product in response.context["products"]]


def food_url():
    return reverse("catalog:category", args=["food"])


def test_a_category_lists_its_sub_categories_products_cheapest_first(client, shop):
    assert listed(client, food_url()) == ["dried", "rice", "cold"]
    assert listed(client, reverse("catalog:category", args=["noodles"])) == ["dried", "cold"]


@pytest.mark.parametrize(("sort", "expected"), [
    ("cheapest", ["dried", "rice", "cold"]),
    ("priciest", ["cold", "rice", "dried"]),
    ("rating", ["rice", "dried", "cold"]),
    ("bestselling", ["dried", "cold", "rice"]),
    ("newest", ["dried", "cold", "rice"]),
])
def test_each_sort(client, shop, sort, expected):
    assert listed(client, food_url(), sort=sort) == expected


@pytest.mark.parametrize(("params", "expected"), [
    ({"price_min": 2500}, ["rice", "cold"]),
    ({"price_max": 3000}, ["dried", "rice"]),
    ({"price_min": 2500, "price_max": 3000}, ["rice"]),
    ({"seller": "okryukwan"}, ["cold"]),
    ({"kind": "factory"}, ["dried"]),
    ({"kind": "store"}, ["rice", "cold"]),
    ({"kind": "store", "seller": "okryukwan"}, []),
    ({"in_stock": "on"}, ["rice", "cold"]),
    ({"rating": 4}, ["rice"]),
    ({"rating": 3}, ["dried", "rice"]),
])
def test_each_filter(client, shop, params, expected):
    assert listed(client, food_url(), **params) == expected


def test_the_filters_and_sort_stay_in_the_page_links(client, shop, world):
    factories.bulk_products(30, category_=shop["food"], sellers=[world.store], price=100)
    response = client.get(food_url(), {"kind": "store", "sort": "priciest", "page": "3"})
    next_link = re.search(r'rel="next" href="\?([^"]+)"', response.content.decode()).group(1)
    assert "kind=store" in next_link and "sort=priciest" in next_link and "page=" not in next_link
    assert 'value="priciest" selected' in response.content.decode()


@pytest.mark.parametrize("sort", ["cheapest", "priciest", "rating", "bestselling", "newest"])
def test_next_and_previous_walk_every_product_once(client, shop, world, sort):
    factories.bulk_products(50, category_=shop["food"], sellers=[world.store], price=100)
    # Ties on every sort key: the id breaks them.
    Product.objects.filter(slug__startswith="bulk-").update(best_price=3000, rating=4.5, units_sold=5)
    seen, pages, params = [], [], {"sort": sort}
    while True:
        response = client.get(food_url(), params)
        page = response.context["page"]
        pages.append([product.slug for product in page.items])
        seen += pages[-1]
        if not page.next_cursor:
            break
        params = {"sort": sort, "after": page.next_cursor}
    assert [len(items) for items in pages] == [24, 24, 5]
    bulk = set(Product.objects.filter(slug__startswith="bulk-").values_list("slug", flat=True))
    assert len(seen) == len(set(seen)) and set(seen) == {"rice", "dried", "cold"} | bulk
    back = client.get(food_url(), {"sort": sort, "before": page.previous_cursor}).context["page"]
    assert [product.slug for product in back.items] == pages[1]
    first = client.get(food_url(), {"sort": sort, "before": back.previous_cursor}).context["page"]
    assert [product.slug for product in first.items] == pages[0]
    assert first.previous_cursor is None and first.next_cursor


@pytest.mark.parametrize("params", [
    {"page": "abc"}, {"page": "999999"}, {"sort": "nonsense"}, {"sort": "relevance"}, {"price_min": "-5"},
    {"price_max": "lots"}, {"price_min": "99999999999999999999"}, {"rating": "9"}, {"kind": "spaceship"},
    {"seller": "nobody"}, {"in_stock": "maybe"}, {"after": "abc"}, {"after": "_"}, {"after": "1_2_3"},
    {"before": "x_1"}, {"after": "nan_1"}, {"sort": "rating", "after": "NaN_1"}, {"sort": "rating", "after": "1e999_1"},
    {"sort": "newest", "after": "yesterday_3"}, {"sort": "newest", "after": "2026-13-45T99:00:00_3"},
    {"after": "99999999999999999999_1"}, {"after": "5_99999999999999999999"},
])
@pytest.mark.parametrize("page", ["category", "search", "seller"])
def test_bad_parameters_render_a_sensible_page(client, shop, world, params, page):
    url = {"category": food_url(), "search": reverse("catalog:search"),
           "seller": reverse("catalog:seller", args=[world.store.slug])}[page]
    response = client.get(url, {**params, "q": "인삼"} if page == "search" else params)
    assert response.status_code == 200
    assert response.context["products"] is not None


def test_bad_filter_values_are_ignored(client, shop):
    assert listed(client, food_url(), price_min="-5", sort="nonsense", page="abc") == ["dried", "rice", "cold"]


def test_an_unknown_category_or_seller_is_404(client, shop):
    assert client.get(reverse("catalog:category", args=["nope"])).status_code == 404
    assert client.get(reverse("catalog:seller", args=["nope"])).status_code == 404


def test_a_seller_page_lists_what_the_seller_offers_with_filters(client, shop, world):
    url = reverse("catalog:seller", args=[world.store.slug])
    assert listed(client, url) == ["ginseng-soap", "rice", "cold"]
    assert listed(client, url, sort="priciest") == ["cold", "rice", "ginseng-soap"]
    assert listed(client, url, price_min=2000, in_stock="on") == ["rice", "cold"]
    assert 'name="seller"' not in client.get(url).content.decode(), "no seller filter on a seller's own page"


def test_a_withdrawn_offer_takes_the_product_off_the_seller_page(client, shop, world):
    world.soap.offers.filter(seller=world.store).update(is_active=False)
    assert "ginseng-soap" not in listed(client, reverse("catalog:seller", args=[world.store.slug]))


def test_prices_are_written_as_each_language_writes_them(client, shop):
    korean = client.get(food_url(), HTTP_ACCEPT_LANGUAGE="ko").content.decode()
    english = client.get(food_url(), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert '<span class="price">3,000원</span>' in korean and "₩" not in korean
    assert '<span class="price">₩3,000</span>' in english and "원</span>" not in english


def test_the_seller_filter_offers_the_sellers_of_products_not_the_hotels(client, shop):
    factories.seller(kind="lodging", name_ko="해방산려관", slug="haebangsan-inn")
    page = client.get(food_url()).content.decode()
    sellers = re.search(r'<select name="seller".*?</select>', page, re.S).group(0)
    kinds = re.search(r'<select name="kind".*?</select>', page, re.S).group(0)
    assert 'value="okryukwan"' in sellers and "haebangsan-inn" not in sellers
    assert 'value="restaurant"' in kinds and 'value="lodging"' not in kinds
    assert listed(client, food_url(), seller="haebangsan-inn") == ["dried", "rice", "cold"], "ignored, as any bad value"
