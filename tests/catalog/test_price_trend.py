"""The product page draws the cheapest price over the last 90 days as a
server-rendered SVG and says when it last changed; nothing for a product
whose cheapest price did not change; the same queries whatever the length
of the history."""

import re
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.core.cache import cache
from django.db import reset_queries
from django.urls import reverse
from django.utils import timezone

from catalog.models import Offer, PriceChange
from catalog.prices import cheapest_series
from catalog.services import set_offer_prices

pytestmark = pytest.mark.django_db

PYONGYANG = ZoneInfo("Asia/Pyongyang")
NOV_28 = datetime(2026, 11, 28, 15, tzinfo=PYONGYANG)


def page(client, world, language="ko"):
    return client.get(reverse("catalog:product", args=[world.soap.slug]), HTTP_ACCEPT_LANGUAGE=language)


def test_a_cut_of_the_cheapest_price_shows_a_chart_and_a_sentence(client, world):
    factory_offer = Offer.objects.get(seller=world.factory)
    set_offer_prices(prices={factory_offer.pk: 1200}, source="admin", at=NOV_28)
    korean = page(client, world).content.decode()
    assert "<svg" in korean and 'class="line"' in korean
    assert "최저가 11-28에 1,400원 → 1,200원" in korean
    assert 'aria-label="최근 90일 동안의 최저가, 1,200원에서 1,400원 사이"' in korean
    english = page(client, world, "en").content.decode()
    assert "Cheapest price ₩1,400 → ₩1,200 on 11-28" in english
    assert "style=" not in english.split('<svg', 1)[1].split("</svg>", 1)[0]


def test_a_change_of_a_dearer_offer_draws_nothing(client, world):
    store_offer = Offer.objects.get(seller=world.store)
    set_offer_prices(prices={store_offer.pk: 1600}, source="admin")
    html = page(client, world).content.decode()
    assert "price-trend" not in html and "최저가" not in html


def test_a_product_that_never_changed_has_no_chart(client, world):
    html = page(client, world).content.decode()
    assert "price-trend" not in html


def test_a_change_older_than_90_days_draws_nothing(client, world):
    factory_offer = Offer.objects.get(seller=world.factory)
    set_offer_prices(prices={factory_offer.pk: 1200}, source="admin", at=timezone.now() - timedelta(days=91))
    assert "price-trend" not in page(client, world).content.decode()


def test_a_price_change_shows_at_once(client, world, django_capture_on_commit_callbacks):
    assert "price-trend" not in page(client, world).content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        set_offer_prices(prices={Offer.objects.get(seller=world.factory).pk: 1300}, source="admin")
    assert "price-trend" in page(client, world).content.decode()


def test_the_series_follows_the_cheapest_offer():
    start = NOV_28 - timedelta(days=90)
    day = timedelta(days=1)
    # Offer 1 now 900 after 1000 → 1200 → 900; offer 2 steady at 1100.
    changes = [(1, start + day, 1000, 1200), (3, start + 2 * day, 5, 6), (1, start + 3 * day, 1200, 900)]
    assert cheapest_series(prices={1: 900, 2: 1100}, changes=changes, since=start) == [
        (start, 1000), (start + day, 1100), (start + 3 * day, 900),
    ]


def test_the_query_count_does_not_grow_with_the_history(
    client, world, django_assert_max_num_queries, django_assert_num_queries
):
    offer = Offer.objects.get(seller=world.factory)
    start = timezone.now() - timedelta(days=80)
    set_offer_prices(prices={offer.pk: 1200}, source="admin", at=start)
    # As in test_query_counts: uncached, from an empty query log.
    cache.clear()
    reset_queries()
    with django_assert_max_num_queries(10) as one_change:
        assert "price-trend" in page(client, world).content.decode()
    count = len(one_change)

    # 499 more, between 1,200 and 1,250 won, an hour apart: 500 in all.
    prices = [1200 + 50 * (index % 2) for index in range(500)]
    PriceChange.objects.bulk_create(
        PriceChange(offer=offer, old_price=old, new_price=new, source="admin", changed_at=start + timedelta(hours=hour))
        for hour, (old, new) in enumerate(zip(prices, prices[1:], strict=False), start=1)
    )
    Offer.objects.filter(pk=offer.pk).update(price=prices[-1])
    assert PriceChange.objects.count() == 500
    cache.clear()
    reset_queries()
    with django_assert_num_queries(count):
        html = page(client, world).content.decode()
    assert "price-trend" in html
    assert len(re.search(r'points="([^"]*)"', html)[1].split()) == 2 + 2 * 500


def test_the_page_stays_light(client, world):
    """HTML of the product page with its chart, and the stylesheet, well
    under the 30 KB budget uncompressed (the browser tests weigh it gzipped)."""
    set_offer_prices(prices={Offer.objects.get(seller=world.factory).pk: 1200}, source="admin", at=NOV_28)
    html = page(client, world).content
    chart = html.split(b"<figure class=\"price-trend\">", 1)[1].split(b"</figure>", 1)[0]
    assert len(chart) < 2_000
    assert len(html) < 30 * 1024
