"""Search on the demo store, through HTTP, as a new customer would try it:
sellers and categories by name in both languages and both spellings, a
seller with a dish, descriptions, and how the results are ordered."""

import pytest
from django.urls import reverse

from catalog.finder import Match
from catalog.models import Offer, Product

pytestmark = pytest.mark.django_db

SEARCH = reverse("catalog:search")


def search(client, query, language="ko", **params):
    response = client.get(SEARCH, {"q": query, **params}, HTTP_ACCEPT_LANGUAGE=language)
    assert response.status_code == 200
    return response


def slugs(response):
    return [product.slug for product in response.context["products"]]


def sold_by(seller_slug):
    return set(Offer.objects.filter(seller__slug=seller_slug, is_active=True).values_list("product__slug", flat=True))


LANGUAGES = pytest.mark.parametrize("language", ["ko", "en"])


@LANGUAGES
@pytest.mark.parametrize("query", ["옥류관", "Okryukwan", "okryukwan restaurant"])
def test_the_restaurants_name_shows_the_restaurant_and_its_dishes_first(client, demo, language, query):
    response = search(client, query, language)
    sellers = [seller.slug for seller in response.context["sellers"]]
    assert sellers[0] == "okryukwan"
    assert "chongryugwan" not in sellers or query == "okryukwan restaurant"
    dishes = sold_by("okryukwan")
    assert set(slugs(response)[:len(dishes)]) == dishes
    page = response.content.decode()
    assert reverse("catalog:seller", args=["okryukwan"]) in page
    # The seller's card: name, kind and district in the page's language.
    assert ("Okryukwan Restaurant" if language == "en" else "옥류관") in page
    assert ("Restaurant" if language == "en" else "식당") in page
    assert "중구역" in page


@LANGUAGES
@pytest.mark.parametrize("query", ["옥류관 랭면", "Okryukwan naengmyeon", "옥류관 냉면", "okryugwan raengmyon"])
def test_a_restaurant_and_a_dish_put_that_restaurants_dish_first_and_mark_it(client, demo, language, query):
    response = search(client, query, language)
    first = response.context["products"][0]
    assert first.slug in sold_by("okryukwan") and "랭면" in first.name_ko
    assert Match.of(first) == Match.SELLER
    assert first.seller_price == Offer.objects.get(product=first, seller__slug="okryukwan").price
    # Other sellers' noodles come after, unmarked.
    assert "raengmyon-dry" in slugs(response)
    page = response.content.decode()
    mark = "Okryukwan Restaurant sells it: " if language == "en" else "옥류관에서 팝니다: "
    assert page.count(mark) == sum(Match.of(product) == Match.SELLER for product in response.context["products"])


@LANGUAGES
def test_the_other_restaurants_name_finds_that_restaurant(client, demo, language):
    response = search(client, "청류관", language)
    assert [seller.slug for seller in response.context["sellers"]] == ["chongryugwan"]
    dishes = sold_by("chongryugwan")
    assert set(slugs(response)[:len(dishes)]) == dishes
    assert reverse("catalog:seller", args=["chongryugwan"]) in response.content.decode()


@pytest.mark.parametrize(("query", "seller"), [
    ("Okryugwan", "okryukwan"), ("Ongnyugwan", "okryukwan"), ("Okryu-gwan", "okryukwan"), ("옥류", "okryukwan"),
    ("Chongryugwan", "chongryugwan"), ("Cheongnyugwan", "chongryugwan"), ("Ch'ŏngryugwan", "chongryugwan"),
])
def test_other_spellings_of_a_sellers_name_find_it(client, demo, query, seller):
    assert search(client, query).context["sellers"][0].slug == seller


@LANGUAGES
@pytest.mark.parametrize(("query", "category", "products"), [
    ("의약품", "medicines", {"cold-tablets", "digestive", "painkiller"}),
    ("medicine", "medicine", {"cold-tablets", "bandages", "thermometer"}),
    ("신발", "shoes", {"leather-shoes", "ryuwon-sneakers", "winter-boots"}),
    ("shoes", "shoes", {"leather-shoes", "ryuwon-sneakers", "slippers"}),
])
def test_a_categorys_name_shows_the_category_and_its_products(client, demo, language, query, category, products):
    response = search(client, query, language)
    assert response.context["named_categories"][0].slug == category
    assert reverse("catalog:category", args=[category]) in response.content.decode()
    assert products <= set(slugs(response))


def test_products_named_like_the_category_come_before_the_rest_of_it(client, demo):
    response = search(client, "신발")
    tiers = {product.slug: Match.of(product) for product in response.context["products"]}
    assert tiers["ryuwon-sneakers"] == Match.NAME
    assert tiers["leather-shoes"] == Match.CATEGORY
    assert slugs(response).index("ryuwon-sneakers") < slugs(response).index("leather-shoes")


def test_an_exact_name_ranks_first(client, demo):
    response = search(client, "인삼차")
    assert slugs(response)[0] == "insam-tea"
    assert Match.of(response.context["products"][0]) == Match.EXACT


@LANGUAGES
def test_a_match_in_the_description_only_says_so(client, demo, language):
    # The demo descriptions are generic: give one a word of its own.
    rice = Product.objects.get(slug="white-rice")
    rice.description_ko, rice.description_en = "황해도 재령벌에서 거둔 쌀.", "Grown on the Jaeryong plain."
    rice.save()
    response = search(client, "재령벌" if language == "ko" else "Jaeryong", language)
    assert slugs(response) == ["white-rice"]
    assert Match.of(response.context["products"][0]) == Match.DESCRIPTION
    why = "Found in its description" if language == "en" else "설명에서 찾았습니다"
    assert why in response.content.decode()


def test_a_name_match_ranks_above_a_description_match(client, demo):
    kimchi = Product.objects.get(slug="kimchi")
    kimchi.description_ko = "흰쌀밥에 어울리는 김치."
    kimchi.save(update_fields=["description_ko"])
    found = slugs(search(client, "흰쌀"))
    assert found.index("white-rice") < found.index("kimchi")
    assert "설명에서 찾았습니다" in search(client, "흰쌀").content.decode()


def test_ties_go_to_more_sales_then_the_better_rating(client, demo):
    Product.objects.filter(slug="mandu-guk").update(units_sold=50)
    Product.objects.filter(slug="onban").update(rating=4.5, rating_count=2)
    found = slugs(search(client, "청류관"))
    assert found[0] == "mandu-guk"
    assert found[1] == "onban"


def test_the_seller_filter_and_sorts_still_apply(client, demo):
    found = slugs(search(client, "랭면", seller="chongryugwan"))
    assert found and set(found) <= sold_by("chongryugwan")
    prices = [product.best_price for product in search(client, "옥류관", sort="cheapest").context["products"]]
    assert prices == sorted(prices)


def test_a_sellers_products_page_by_rank_without_repeats(client, demo, monkeypatch):
    monkeypatch.setattr("catalog.views.PAGE_SIZE", 4)
    seen, params = [], {}
    while True:
        page = search(client, "옥류관", **params).context["page"]
        seen += [product.slug for product in page.items]
        if not page.next_cursor:
            break
        params = {"after": page.next_cursor}
    assert len(seen) == len(set(seen))
    assert set(seen[:len(sold_by("okryukwan"))]) == sold_by("okryukwan")


def test_the_migration_fills_the_new_search_columns_of_existing_rows(demo):
    from importlib import import_module

    from django.apps import apps

    from catalog.models import Category, Seller
    from catalog.search import description, document, names

    migration = import_module("catalog.migrations.0004_search_sellers_categories_descriptions")
    Seller.objects.update(search_text="")
    Category.objects.update(search_text="")
    Product.objects.update(search_text="", search_names=[], search_description="")
    migration.fill_search_columns(apps, None)
    assert Seller.objects.get(slug="okryukwan").search_text == document(
        "옥류관", "Okryukwan Restaurant", compound_tails=False)
    assert Category.objects.get(slug="shoes").search_text == document("신발", "Shoes", compound_tails=False)
    rice = Product.objects.get(slug="white-rice")
    assert rice.search_text == document("흰쌀", "White rice")
    assert rice.search_names == names("흰쌀", "White rice")
    assert rice.search_description == description(rice.description_ko, rice.description_en)
    assert not Product.objects.filter(search_description="").exists()


@pytest.mark.parametrize(("query", "language"), [("랭면", "ko"), ("냉면", "ko"), ("naengmyeon", "en")])
def test_a_dish_alone_finds_every_sellers_noodles(client, demo, query, language):
    response = search(client, query, language)
    assert {"pyongyang-raengmyon", "raengmyon-dry"} <= set(slugs(response))
    assert response.context["sellers"] == []
