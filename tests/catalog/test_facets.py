"""Attribute filters in the URL (?a.<code>=<value>) on category and search
pages, with counts beside each value that agree with a count done here."""

import random
import re
from decimal import Decimal
from urllib.parse import parse_qs

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from catalog.models import Attribute, AttributeChoice, ProductAttributeValue
from tests import factories

pytestmark = pytest.mark.django_db

VOLUMES = [50, 100, 150, None]
SCENTS = ["rose", "pine", None]
VERSION_READ = ("SELECT catalogue.last_value, stock.last_value"
                " FROM catalog_version AS catalogue, catalog_stock_version AS stock")


@pytest.fixture
def shelf(world):
    """Twenty creams under Cosmetics › Skincare with volumes and scents
    drawn at random (a fixed seed), some sold out, at various prices; one
    product outside the tree with a volume too."""
    cosmetics = factories.category(name_ko="화장품", name_en="Cosmetics", slug="cosmetics")
    skincare = factories.category(name_ko="기초화장품", name_en="Skincare", slug="skincare", parent=cosmetics)
    volume = Attribute.objects.create(code="volume", kind=Attribute.Kind.NUMBER, unit="ml", name_ko="용량",
                                      name_en="Volume", position=0)
    scent = Attribute.objects.create(code="scent", kind=Attribute.Kind.CHOICE, name_ko="향", name_en="Scent",
                                     position=1)
    volume.categories.set([cosmetics, world.category])
    scent.categories.set([cosmetics])
    choices = {code: AttributeChoice.objects.create(attribute=scent, code=code, label_ko=ko, label_en=en)
               for code, ko, en in [("rose", "장미", "Rose"), ("pine", "소나무", "Pine")]}
    rng = random.Random(7)
    products = []
    for n in range(20):
        item = factories.product(category_=rng.choice([cosmetics, skincare]), name_ko=f"크림 {n}",
                                 name_en=f"Cream {n}", slug=f"cream-{n}",
                                 offers=[(world.store, 1000 + 100 * n, rng.choice([0, 5]))])
        item.volume, item.scent = rng.choice(VOLUMES), rng.choice(SCENTS)
        if item.volume:
            ProductAttributeValue.objects.create(product=item, attribute=volume, number=Decimal(item.volume))
        if item.scent:
            ProductAttributeValue.objects.create(product=item, attribute=scent, choice=choices[item.scent])
        products.append(item)
    ProductAttributeValue.objects.create(product=world.soap, attribute=volume, number=50)
    return products


def python_counts(products, selected: dict, keep) -> dict:
    """Each attribute's value counts as the page should give them: the
    products ``keep`` keeps, passing every selected filter but the attribute's own."""
    counts = {}
    for code in ("volume", "scent"):
        others = {other: values for other, values in selected.items() if other != code}
        for product in products:
            value = getattr(product, code)
            if value is None or not keep(product):
                continue
            if all(str(getattr(product, other)) in values for other, values in others.items()):
                counts.setdefault(code, {}).setdefault(str(value), 0)
                counts[code][str(value)] += 1
    return counts


def page_counts(response) -> dict:
    return {facet.code: {value.key: value.count for value in facet.values if value.count}
            for facet in response.context["facets"]}


def listed(response) -> set:
    """The products' slugs, read from the HTML: a page served from the cache renders no template context."""
    return set(re.findall(r'<li class="card">\s*<a href="/p/([^/"]+)/">', response.content.decode()))


CASES = [
    ({}, {}),
    ({"volume": ["50"]}, {}),
    ({"volume": ["50", "150"]}, {}),
    ({"volume": ["100"], "scent": ["rose"]}, {}),
    ({"scent": ["pine", "rose"]}, {"in_stock": "on"}),
    ({"volume": ["50"]}, {"price_max": "2000", "sort": "priciest"}),
]


@pytest.mark.parametrize(("selected", "other"), CASES)
def test_the_counts_and_the_list_agree_with_a_count_done_here(client, shelf, selected, other):
    def keep(product):
        return (("in_stock" not in other or product.in_stock)
                and ("price_max" not in other or product.best_price <= int(other["price_max"])))

    query = {**other, **{f"a.{code}": values for code, values in selected.items()}}
    response = client.get(reverse("catalog:category", args=["cosmetics"]), query)
    assert response.status_code == 200
    assert page_counts(response) == python_counts(shelf, selected, keep)
    assert listed(response) == {
        product.slug for product in shelf if keep(product)
        and all(str(getattr(product, code)) in values for code, values in selected.items())
    }


def test_the_search_page_has_the_same_facets(client, shelf):
    response = client.get(reverse("catalog:search"), {"q": "크림", "a.scent": "rose"})
    assert response.status_code == 200
    assert listed(response) == {product.slug for product in shelf if product.scent == "rose"}
    assert page_counts(response) == python_counts(shelf, {"scent": ["rose"]}, lambda product: True)


@pytest.mark.parametrize("query", [
    {"a.nothing": "1"}, {"a.volume": "a lot"}, {"a.volume": "999"}, {"a.volume": "1e999999"},
    {"a.volume": "NaN"}, {"a.scent": "lavender"}, {"a.": "x"}, {"a.volume": "x" * 5000},
])
def test_an_unknown_attribute_or_value_is_left_out(client, shelf, query):
    everything = listed(client.get(reverse("catalog:category", args=["cosmetics"])))
    response = client.get(reverse("catalog:category", args=["cosmetics"]), query)
    assert response.status_code == 200
    assert listed(response) == everything


def test_a_known_value_among_unknown_ones_still_filters(client, shelf):
    response = client.get(reverse("catalog:category", args=["cosmetics"]), {"a.scent": ["rose"] * 100 + ["lavender"]})
    assert listed(response) == {product.slug for product in shelf if product.scent == "rose"}


def test_a_number_may_be_written_any_way(client, shelf):
    fifty = {product.slug for product in shelf if product.volume == 50}
    for written in ("50", "50.0", "050", "5E+1"):
        assert listed(client.get(reverse("catalog:category", args=["cosmetics"]), {"a.volume": written})) == fifty


def links(html: str) -> dict[str, dict]:
    """Each facet link's text (without the count) and its query."""
    found = {}
    for href, text in re.findall(r'<li><a href="\?([^"]*)"[^>]*>(.*?) <span class="tally"', html):
        found[re.sub(r"<[^>]+>", "", text).replace("✓ ", "").strip()] = parse_qs(href.replace("&amp;", "&"))
    return found


def test_the_links_keep_the_other_filters_and_the_sort_and_toggle_the_value(client, shelf):
    page = client.get(reverse("catalog:category", args=["cosmetics"]), {
        "sort": "priciest", "in_stock": "on", "a.volume": "50", "after": "9_9", "junk": "1",
    }, HTTP_ACCEPT_LANGUAGE="en")
    found = links(page.content.decode())
    assert found["Chosen, select to remove: 50 ml"] == {"sort": ["priciest"], "in_stock": ["on"]}
    assert found["100 ml"] == {"sort": ["priciest"], "in_stock": ["on"], "a.volume": ["100", "50"]}
    assert found["Rose"] == {"sort": ["priciest"], "in_stock": ["on"], "a.volume": ["50"], "a.scent": ["rose"]}


def test_the_facets_are_labelled_lists(client, shelf):
    html = client.get(reverse("catalog:category", args=["cosmetics"]), {"a.scent": "pine"},
                      HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert '<nav class="facets" aria-labelledby="facets-title">' in html
    assert '<h3 id="facet-volume">Volume</h3>' in html and '<ul class="chips" aria-labelledby="facet-volume">' in html
    pine = sum(1 for product in shelf if product.scent == "pine")
    assert re.search(rf'class="on" aria-current="true">.*?Pine <span class="tally" aria-hidden="true">\({pine}\)</span>'
                     rf'<span class="visually-hidden">{pine} products?</span>', html)
    # The filter form keeps the chosen value when it is applied.
    assert '<input type="hidden" name="a.scent" value="pine">' in html
    assert "Clear these filters" in html


def test_the_facets_speak_korean_by_default(client, shelf):
    html = client.get(reverse("catalog:category", args=["cosmetics"])).content.decode()
    assert '<h3 id="facet-scent">향</h3>' in html and "장미" in html


def test_made_up_parameters_share_the_cached_page(client, shelf):
    """Only the listing's own parameters and known attribute values key the
    page: anything else is served from the same cached copy."""
    url = reverse("catalog:category", args=["cosmetics"])
    client.get(url, {"a.volume": "50"})
    for junk in ({"utm": "1"}, {"a.nothing": "2"}, {"a.volume": ["50", "999"]}, {"a.volume": "50.00"}):
        with CaptureQueriesContext(connection) as queries:
            assert client.get(url, {"a.volume": "50", **junk}).status_code == 200
        catalogue = [query["sql"] for query in queries if "catalog_" in query["sql"]]
        assert catalogue == [VERSION_READ], junk


def test_a_new_value_in_the_admin_shows_in_the_facets(staff_client, shelf, django_capture_on_commit_callbacks):
    visitor, url = Client(), reverse("catalog:category", args=["cosmetics"])
    before = page_counts(visitor.get(url))["volume"]
    cream = shelf[0]
    volume = Attribute.objects.get(code="volume")
    existing = list(cream.attribute_values.all())
    data = {
        "category": cream.category_id, "slug": cream.slug, "name_ko": cream.name_ko, "name_en": cream.name_en,
        "is_active": "on", "offers-TOTAL_FORMS": 0, "offers-INITIAL_FORMS": 0, "media-TOTAL_FORMS": 0,
        "media-INITIAL_FORMS": 0, "attribute_values-TOTAL_FORMS": len(existing) + 1,
        "attribute_values-INITIAL_FORMS": len(existing),
    }
    for index, value in enumerate(existing):
        data.update({f"attribute_values-{index}-id": value.pk, f"attribute_values-{index}-product": cream.pk,
                     f"attribute_values-{index}-attribute": value.attribute_id,
                     f"attribute_values-{index}-DELETE": "on"})
    new = len(existing)
    data.update({f"attribute_values-{new}-attribute": volume.pk, f"attribute_values-{new}-number": "75"})
    with django_capture_on_commit_callbacks(execute=True):
        response = staff_client.post(reverse("admin:catalog_product_change", args=[cream.pk]), data)
    assert response.status_code == 302, response.context["inline_admin_formsets"][0].formset.errors
    after = page_counts(visitor.get(url))["volume"]
    assert after["75"] == 1
    if cream.volume:
        assert after.get(str(cream.volume), 0) == before[str(cream.volume)] - 1


@pytest.mark.parametrize(("fields", "message"), [
    ({"number": "", "text": "big"}, "Volume takes a value of this kind only: Number."),
    ({"attribute": "scent", "number": "50"}, "Scent takes a value of this kind only: Choice from a list."),
    ({"attribute": "shoe-size", "number": "250"}, "Shoe size does not apply to products in Cosmetics."),
])
def test_the_admin_refuses_a_value_of_the_wrong_kind_or_category(staff_client, shelf, fields, message):
    Attribute.objects.create(code="shoe-size", kind=Attribute.Kind.NUMBER, name_ko="치수", name_en="Shoe size")
    cream = factories.product(category_=shelf[0].category.parent or shelf[0].category, slug="plain-cream")
    attribute = Attribute.objects.get(code=fields.pop("attribute", "volume"))
    data = {
        "category": cream.category_id, "slug": cream.slug, "name_ko": cream.name_ko, "name_en": cream.name_en,
        "is_active": "on", "offers-TOTAL_FORMS": 0, "offers-INITIAL_FORMS": 0, "media-TOTAL_FORMS": 0,
        "media-INITIAL_FORMS": 0, "attribute_values-TOTAL_FORMS": 1, "attribute_values-INITIAL_FORMS": 0,
        "attribute_values-0-attribute": attribute.pk,
        **{f"attribute_values-0-{name}": value for name, value in fields.items()},
    }
    response = staff_client.post(reverse("admin:catalog_product_change", args=[cream.pk]), data,
                                 HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 200
    assert message in response.content.decode()
    assert not cream.attribute_values.exists()


def test_the_product_page_lists_its_attributes(client, shelf):
    cream = next(product for product in shelf if product.volume and product.scent)
    html = client.get(cream.get_absolute_url(), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    label = {"rose": "Rose", "pine": "Pine"}[cream.scent]
    assert (f"<div><dt>Volume</dt><dd>{cream.volume} ml</dd></div><div><dt>Scent</dt><dd>{label}</dd></div>"
            in html)
