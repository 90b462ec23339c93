"""The catalogue pages' cache and conditional GET: a page cached for the
catalogue version shows a new price, stock or rating as soon as the catalog
service that changed it commits, and a product page answers 304 until then."""

import re
from decimal import Decimal

import pytest
from django.core.cache import cache
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from catalog import cache as catalog_cache
from catalog import services
from catalog.models import Offer
from tests import factories

pytestmark = pytest.mark.django_db

CATEGORY = reverse("catalog:category", args=["soap"])
# The one query of the catalog app a page served from the cache runs: the
# catalogue and stock versions, which every process reads from the database.
VERSION_READ = ("SELECT catalogue.last_value, stock.last_value"
                " FROM catalog_version AS catalogue, catalog_stock_version AS stock")


# A product card as the listing shows it: its link, then its price.
CARD = re.compile(r'<li class="card">\s*<a href="/p/([^/"]+)/">.*?<span class="price">([^<]*)</span>', re.S)


def listed_prices(client, url):
    """Slug and price of each card on the page, read from the HTML: a page
    served from the cache renders no template context to look into."""
    html = client.get(url).content.decode()
    return {slug: int(re.sub(r"\D", "", price)) for slug, price in CARD.findall(html)}


def offer_prices(client, slug):
    product = client.get(reverse("catalog:product", args=[slug])).context["product"]
    return {offer.pk: (offer.price, offer.stock) for offer in product.live_offers}


@pytest.mark.parametrize("url", [CATEGORY, reverse("catalog:search") + "?q=인삼비누"])
def test_a_cached_listing_runs_fewer_queries_and_shows_a_new_price(
    client, world, url, django_capture_on_commit_callbacks
):
    with CaptureQueriesContext(connection) as cold:
        assert listed_prices(client, url) == {"ginseng-soap": 1400}
    with CaptureQueriesContext(connection) as warm:
        assert listed_prices(client, url) == {"ginseng-soap": 1400}
    assert len(warm) < len(cold), "the second request is served from the cache"

    cheaper = Offer.objects.filter(seller=world.factory, product=world.soap)
    with django_capture_on_commit_callbacks(execute=True):
        services.change_offer_prices(offers=cheaper, percent=Decimal(-50))
    assert listed_prices(client, url) == {"ginseng-soap": 700}


def test_the_product_page_follows_stock_taken_and_prices(client, world, django_capture_on_commit_callbacks):
    store_offer = world.soap.offers.get(seller=world.store)
    factory_offer = world.soap.offers.get(seller=world.factory)
    assert offer_prices(client, "ginseng-soap") == {factory_offer.pk: (1400, 5), store_offer.pk: (1500, 10)}
    with django_capture_on_commit_callbacks(execute=True):
        services.take_stock(quantities={factory_offer.pk: 5})
    assert offer_prices(client, "ginseng-soap") == {factory_offer.pk: (1400, 0), store_offer.pk: (1500, 10)}
    # The listing's summary follows too: the best price in stock is now the store's.
    assert listed_prices(client, CATEGORY) == {"ginseng-soap": 1500}


def test_a_sale_that_empties_no_offer_keeps_the_listing_cached_and_moves_the_product_page(
    client, world, django_capture_on_commit_callbacks
):
    store_offer = world.soap.offers.get(seller=world.store)
    url = reverse("catalog:product", args=["ginseng-soap"])
    listed_prices(client, CATEGORY)
    assert offer_prices(client, "ginseng-soap")[store_offer.pk] == (1500, 10)
    etag = client.get(url).headers["ETag"]
    version = catalog_cache.version()

    with django_capture_on_commit_callbacks(execute=True):
        services.take_stock(quantities={store_offer.pk: 3})

    assert catalog_cache.version() == version
    with CaptureQueriesContext(connection) as queries:
        assert listed_prices(client, CATEGORY) == {"ginseng-soap": 1400}
    assert [q["sql"] for q in queries if "catalog_" in q["sql"]] == [VERSION_READ], "the listing stayed cached"
    changed = client.get(url, HTTP_IF_NONE_MATCH=etag)
    assert changed.status_code == 200 and "재고 7개" in changed.content.decode()


def test_the_product_page_follows_a_review(client, world, django_capture_on_commit_callbacks):
    url = reverse("catalog:product", args=["ginseng-soap"])
    assert client.get(url).context["product"].rating_count == 0
    with django_capture_on_commit_callbacks(execute=True):
        services.submit_review(author=world.customer, product=world.soap, seller=world.store, stars=4, text="좋다",
                               purchase_key="bench-test-1")
    context = client.get(url).context
    assert (context["product"].rating_count, context["product"].rating) == (1, Decimal("4.00"))
    assert [review.stars for review in context["reviews"]] == [4]


def test_a_change_waits_for_the_commit(client, world):
    """Inside the service's transaction nothing is invalidated yet: a page
    built meanwhile would read the old rows, so the bump comes on commit."""
    listed_prices(client, CATEGORY)
    services.change_offer_prices(offers=world.soap.offers.all(), percent=Decimal(10))
    # The test's transaction never commits: the cached page stays as it was.
    assert listed_prices(client, CATEGORY) == {"ginseng-soap": 1400}


def test_the_product_page_answers_304_until_something_changes(client, world, django_capture_on_commit_callbacks):
    url = reverse("catalog:product", args=["ginseng-soap"])
    client.get(url)  # a first visit: the CSRF cookie its forms' tokens come from (part of the ETag)
    first = client.get(url)
    etag = first.headers["ETag"]
    assert "no-cache" in first.headers["Cache-Control"] and "private" in first.headers["Cache-Control"]
    with CaptureQueriesContext(connection) as queries:
        again = client.get(url, HTTP_IF_NONE_MATCH=etag)
    assert again.status_code == 304 and again.content == b""
    catalogue_queries = [q["sql"] for q in queries if "catalog_" in q["sql"]]
    assert catalogue_queries == [VERSION_READ], "a 304 reads no catalogue rows, only the version"

    with django_capture_on_commit_callbacks(execute=True):
        services.change_offer_prices(offers=world.soap.offers.all(), percent=Decimal(10))
    changed = client.get(url, HTTP_IF_NONE_MATCH=etag)
    assert changed.status_code == 200 and changed.headers["ETag"] != etag


def test_the_etag_differs_by_language_and_visitor(client, world):
    url = reverse("catalog:product", args=["ginseng-soap"])
    korean = client.get(url, HTTP_ACCEPT_LANGUAGE="ko").headers["ETag"]
    english = client.get(url, HTTP_ACCEPT_LANGUAGE="en").headers["ETag"]
    client.force_login(world.customer)
    logged_in = client.get(url, HTTP_ACCEPT_LANGUAGE="ko")
    assert len({korean, english, logged_in.headers["ETag"]}) == 3
    assert client.get(url, HTTP_ACCEPT_LANGUAGE="ko", HTTP_IF_NONE_MATCH=korean).status_code == 200


def test_a_product_switched_off_answers_404_at_once(client, world, staff_client, django_capture_on_commit_callbacks):
    url = reverse("catalog:product", args=["ginseng-soap"])
    assert client.get(url).status_code == 200
    with django_capture_on_commit_callbacks(execute=True):
        services.set_offers_active(offers=world.soap.offers.all(), active=False)
    assert client.get(url).context["product"].live_offers == []
    assert listed_prices(client, CATEGORY) == {}


def test_an_unknown_product_category_or_seller_answers_404(client, db):
    factories.category(slug="empty")
    for url in (reverse("catalog:product", args=["nope"]), reverse("catalog:category", args=["nope"]),
                reverse("catalog:seller", args=["nope"])):
        assert client.get(url).status_code == 404
        assert client.get(url).status_code == 404, "and again from the cache"


def test_a_cached_product_page_gives_each_visitor_their_own_csrf_token(world):
    """The page's content is cached for everyone; the token in its add-to-cart
    forms is put in for each visitor, and each visitor's form posts."""
    url = reverse("catalog:product", args=["ginseng-soap"])
    first, second = Client(enforce_csrf_checks=True), Client(enforce_csrf_checks=True)
    first.get(url)
    with CaptureQueriesContext(connection) as queries:
        page = second.get(url).content.decode()
    catalogue_queries = [q["sql"] for q in queries if "catalog_" in q["sql"]]
    assert catalogue_queries == [VERSION_READ], "the second visitor's page came from the cache"
    assert catalog_cache.CSRF_MARK not in page
    tokens = re.findall(r'class="add"><input type="hidden" name="csrfmiddlewaretoken" value="([^"]+)"', page)
    assert len(tokens) == 2, "one add-to-cart form per offer"
    offer = world.soap.offers.get(seller=world.store)
    added = second.post(reverse("orders:add"), {
        "csrfmiddlewaretoken": tokens[0], "offer": offer.pk, "quantity": 1, "next": url,
    })
    assert added.status_code == 302 and added.headers["Location"] == reverse("orders:cart"), "added"
    stranger = first.post(reverse("orders:add"), {"csrfmiddlewaretoken": "x" * 64, "offer": offer.pk, "quantity": 1})
    assert stranger.status_code == 403


def test_a_category_renamed_in_the_admin_shows_at_once(staff_client, world, django_capture_on_commit_callbacks):
    visitor = Client()
    assert "비누" in visitor.get(CATEGORY).content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        response = staff_client.post(reverse("admin:catalog_category_change", args=[world.category.pk]), {
            "name_ko": "향비누", "name_en": "Scented soap", "slug": "soap", "position": 0, "parent": "",
        })
    assert response.status_code == 302
    assert "향비누" in visitor.get(CATEGORY).content.decode()


def test_a_seller_switched_off_on_its_admin_page_leaves_the_listing_at_once(
    staff_client, world, django_capture_on_commit_callbacks
):
    visitor = Client()
    assert listed_prices(visitor, CATEGORY) == {"ginseng-soap": 1400}
    factory = world.factory
    with django_capture_on_commit_callbacks(execute=True):
        response = staff_client.post(reverse("admin:catalog_seller_change", args=[factory.pk]), {
            "kind": factory.kind, "name_ko": factory.name_ko, "name_en": factory.name_en, "slug": factory.slug,
            "district": factory.district, "address": factory.address,
            "preparation_minutes": factory.preparation_minutes,
            **{f"{inline}-{field}": 0 for inline in ("opening_hours", "closed_days")
               for field in ("TOTAL_FORMS", "INITIAL_FORMS")},
        })  # "is_active" left out: the box unticked
    assert response.status_code == 302
    assert listed_prices(visitor, CATEGORY) == {"ginseng-soap": 1500}
    world.soap.refresh_from_db()
    assert (world.soap.best_price, world.soap.seller_count) == (1500, 1)


def test_a_product_taken_off_sale_in_the_admin_answers_404_at_once(
    staff_client, world, django_capture_on_commit_callbacks
):
    visitor, url = Client(), reverse("catalog:product", args=["ginseng-soap"])
    assert visitor.get(url).status_code == 200
    with django_capture_on_commit_callbacks(execute=True):
        response = staff_client.post(reverse("admin:catalog_product_changelist"), {
            "action": "deactivate", "_selected_action": [world.soap.pk],
        })
    assert response.status_code == 302
    assert visitor.get(url).status_code == 404
    assert listed_prices(visitor, CATEGORY) == {}


def test_a_process_keeps_the_pages_it_served_when_the_shared_cache_loses_them(
    client, world, monkeypatch, django_capture_on_commit_callbacks
):
    """In front of a shared cache (Redis) each process keeps the entries it
    last served: a cached page then costs the version read and no round
    trip, and a catalogue change still shows at once."""
    monkeypatch.setattr(catalog_cache, "PROCESS_CACHE", catalog_cache.ProcessCache(size=2))
    assert listed_prices(client, CATEGORY) == {"ginseng-soap": 1400}
    cache.clear()  # the shared cache restarted: only this process has the page
    with CaptureQueriesContext(connection) as queries:
        assert listed_prices(client, CATEGORY) == {"ginseng-soap": 1400}
    assert [q["sql"] for q in queries if "catalog_" in q["sql"]] == [VERSION_READ]

    with django_capture_on_commit_callbacks(execute=True):
        services.change_offer_prices(offers=world.soap.offers.all(), percent=Decimal(-50))
    assert listed_prices(client, CATEGORY) == {"ginseng-soap": 700}


def test_a_process_keeps_only_its_most_recently_used_entries(client, world, monkeypatch):
    monkeypatch.setattr(catalog_cache, "PROCESS_CACHE", catalog_cache.ProcessCache(size=2))
    first, second, third = CATEGORY, CATEGORY + "?sort=priciest", CATEGORY + "?sort=rating"
    for url in (first, second, third):
        client.get(url)
    cache.clear()
    with CaptureQueriesContext(connection) as queries:
        client.get(third)
    assert [q["sql"] for q in queries if "catalog_" in q["sql"]] == [VERSION_READ], "still held"
    with CaptureQueriesContext(connection) as queries:
        client.get(first)
    assert len([q for q in queries if "catalog_" in q["sql"]]) > 1, "the oldest entry was let go: built again"
