"""Search: the normaliser, and the search page through HTTP in Korean and
English, with typos, partial words and the other Korean spelling."""

import pytest
from django.db import connection
from django.urls import reverse

from catalog.models import Product
from catalog.search import document, normalise
from tests import factories

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(("north", "south"), [
    ("랭면", "냉면"), ("로동", "노동"), ("리발", "이발"), ("녀자", "여자"), ("평양랭면", "평양냉면"),
    ("raengmyon", "naengmyeon"), ("raengmyeon", "naengmyon"), ("Naengmyŏn", "naengmyon"),
])
def test_both_spellings_normalise_alike(north, south):
    assert normalise(north) == normalise(south)


def test_it_decomposes_hangul_and_lower_cases():
    assert normalise("  Cold   NOODLES ") == "cold noodles"
    assert normalise("면") == "\u1106\u1167\u11ab"


def test_the_document_gives_every_syllable_of_a_compound_a_word_start():
    assert document("평양랭면").split() == [normalise(word) for word in ("평양랭면", "양랭면", "랭면", "면")]


@pytest.fixture
def shelf(world):
    noodles_category = factories.category(name_ko="료리", name_en="Dishes", slug="dishes")
    restaurant = factories.seller(kind="restaurant", name_ko="옥류관", name_en="Okryukwan", slug="okryukwan")
    items = {
        "noodles": ("평양랭면", "Pyongyang naengmyeon"),
        "shoes": ("로동화", "Work shoes"),
        "clipper": ("리발기", "Hair clipper"),
        "heels": ("녀자 구두", "Women's shoes"),
        "tea": ("인삼차", "Ginseng tea"),
    }
    shelf = {
        key: factories.product(
            category_=noodles_category if key == "noodles" else world.category, slug=key,
            name_ko=ko, name_en=en, offers=[(restaurant if key == "noodles" else world.store, 5000, 3)],
        )
        for key, (ko, en) in items.items()
    }
    shelf["soap"] = world.soap
    return shelf


def found(client, query, **params):
    response = client.get(reverse("catalog:search"), {"q": query, **params})
    assert response.status_code == 200
    return [product.slug for product in response.context["products"]]


@pytest.mark.parametrize("query", [
    "평양랭면", "랭면", "냉면", "평양냉면", "랭멘", "냉멘", "랭", "평양",
    "naengmyeon", "naengmyon", "raengmyeon", "raengmyon", "Pyongyang", "pyongyang naengmyon",
])
def test_the_noodles_are_found_however_they_are_written(client, shelf, query):
    assert found(client, query)[0] == "noodles"


@pytest.mark.parametrize(("query", "slug"), [
    ("노동화", "shoes"), ("로동", "shoes"), ("이발기", "clipper"), ("리발", "clipper"),
    ("여자", "heels"), ("녀자 구두", "heels"), ("shoes", "shoes"), ("clipper", "clipper"),
    ("clippr", "clipper"), ("ginsneg soap", "ginseng-soap"), ("soap", "ginseng-soap"), ("비누", "ginseng-soap"),
])
def test_korean_and_english_queries_with_typos_find_the_product(client, shelf, query, slug):
    assert slug in found(client, query)


def test_the_closest_match_ranks_first(client, shelf):
    assert found(client, "인삼비누") == ["ginseng-soap", "tea"]
    assert found(client, "ginseng tea")[0] == "tea"


def test_search_takes_the_listing_filters_and_sorts(client, shelf):
    assert found(client, "인삼", kind="factory") == ["ginseng-soap"]
    assert found(client, "인삼", sort="cheapest") == ["ginseng-soap", "tea"]
    assert found(client, "인삼", sort="priciest") == ["tea", "ginseng-soap"]
    assert found(client, "인삼", price_min=2000) == ["tea"]


def test_nothing_matching_shows_close_matches_and_categories(client, shelf):
    response = client.get(reverse("catalog:search"), {"q": "평양국수랭채"})
    assert response.status_code == 200
    assert list(response.context["products"]) == []
    assert [product.slug for product in response.context["close_matches"]][0] == "noodles"
    assert {category.slug for category in response.context["categories"]} == {"soap", "dishes"}
    assert reverse("catalog:category", args=["dishes"]) in response.content.decode()


def test_nonsense_shows_categories_and_no_close_match(client, shelf):
    response = client.get(reverse("catalog:search"), {"q": "qqxxzz"})
    assert response.status_code == 200
    assert list(response.context["close_matches"]) == []
    assert reverse("catalog:category", args=["soap"]) in response.content.decode()


@pytest.mark.parametrize("query", ["냉" * 2000, "x" * 2000, "", "   ", "%_\\'\"<script>", "\x00"])
def test_odd_queries_render_a_page(client, shelf, query):
    response = client.get(reverse("catalog:search"), {"q": query})
    assert response.status_code == 200
    assert len(response.context["query"]) <= 100
    assert "<script>" not in response.content.decode().split("<main", 1)[1]


def test_a_long_query_still_searches_its_start(client, shelf):
    assert found(client, "평양랭면" + " " * 100 + "x" * 1900) == ["noodles"]


def test_renaming_a_product_updates_its_search_text(client, shelf):
    tea = shelf["tea"]
    tea.name_ko = "록차"
    tea.save(update_fields=["name_ko"])
    assert Product.objects.get(pk=tea.pk).search_text == document("록차", "Ginseng tea")
    assert "tea" in found(client, "녹차")


def test_inactive_and_unsold_products_are_not_found(client, shelf):
    Product.objects.filter(slug="tea").update(is_active=False)
    factories.product(name_ko="인삼술", name_en="Ginseng liquor", slug="liquor")  # no offer, no price
    assert found(client, "인삼") == ["ginseng-soap"]


def test_search_results_page_by_rank_without_repeats(client, shelf, world):
    factories.bulk_products(40, category_=world.category, sellers=[world.store], name_ko="랭면", name_en="Cold noodles")
    seen, params = [], {"q": "냉면"}
    while True:
        page = client.get(reverse("catalog:search"), params).context["page"]
        seen += [product.slug for product in page.items]
        if not page.next_cursor:
            break
        params = {"q": "냉면", "after": page.next_cursor}
    assert len(seen) == len(set(seen)) == 41
    assert seen[-1] == "noodles", "the compound 평양랭면 ranks below the exact word 랭면"
    back = client.get(reverse("catalog:search"), {"q": "냉면", "before": page.previous_cursor}).context["page"]
    assert [product.slug for product in back.items] == seen[:24]


def test_the_migration_fills_the_search_column_of_existing_rows(shelf):
    from importlib import import_module

    from django.apps import apps

    migration = import_module("catalog.migrations.0002_fill_search_text")
    Product.objects.update(search_text="")
    migration.fill_search_text(apps, None)
    tea = Product.objects.get(slug="tea")
    assert tea.search_text == document("인삼차", "Ginseng tea")
    assert Product.objects.filter(search_text="").count() == 0


def test_the_trigram_comparisons_are_costed_as_the_expensive_calls_they_are():
    """At the default cost of 1 the planner compared every product's name
    with the query instead of reading the trigram index (catalog 0008)."""
    operators = ["word_similarity_commutator_op", "word_similarity_op", "similarity_op"]  # %>, <%, %
    with connection.cursor() as cursor:
        cursor.execute("SELECT proname, procost FROM pg_proc WHERE proname = ANY(%s)", [operators])
        costs = dict(cursor.fetchall())
    assert set(costs) == set(operators)
    assert min(costs.values()) >= 100


def test_a_word_naming_a_hotel_stays_a_word_of_the_product_search(client, world):
    factories.seller(kind="lodging", name_ko="해맞이려관", name_en="Haemaji Inn", slug="haemaji-inn")
    soap = factories.product(category_=world.category, slug="haemaji-soap", name_ko="해맞이 비누",
                             name_en="Haemaji soap", offers=[(world.store, 900, 4)])
    response = client.get(reverse("catalog:search"), {"q": "해맞이려관"})
    assert response.status_code == 200
    assert response.context["sellers"] == [] and response.context["named_seller"] is None
    assert [product.slug for product in response.context["products"]] == [soap.slug]
