"""The bureau's competition report on the demo data: its figures match a
count done here in plain Python from the rows themselves."""

import csv
import io
from collections import defaultdict
from datetime import timedelta
from decimal import ROUND_HALF_UP, Decimal

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone

from catalog.models import Offer, PriceChange, Product

pytestmark = [pytest.mark.django_db, pytest.mark.slow]  # seed_demo draws every product's picture

REPORT = reverse("admin:catalog_pricechange_report")


@pytest.fixture
def demo(media_root):
    call_command("seed_demo", stdout=io.StringIO())


def counted_by_hand():
    """Per listed product: (category slug, cheapest 30 days ago, cheapest now),
    from the offers that make the best price (in stock if any is)."""
    since = timezone.now() - timedelta(days=30)
    changes = list(PriceChange.objects.order_by("changed_at", "pk"))
    result = {}
    for product in Product.objects.filter(is_active=True):
        live = [o for o in Offer.objects.filter(product=product) if o.is_active and o.seller.is_active]
        offers = [o for o in live if o.stock > 0] or live
        if not offers:
            continue
        then = []
        for offer in offers:
            later = [c for c in changes if c.offer_id == offer.pk and c.changed_at >= since]
            then.append(later[0].old_price if later else offer.price)
        result[product.slug] = (product.category.slug, min(then), min(o.price for o in offers))
    return result


def test_the_report_matches_a_count_by_hand(demo, staff_client):
    since = timezone.now() - timedelta(days=30)
    response = staff_client.get(REPORT)
    assert response.status_code == 200
    context = response.context

    single = {p.slug for p in Product.objects.filter(is_active=True)
              if sum(o.is_active and o.seller.is_active for o in p.offers.all()) == 1}
    assert single and {product.slug for product in context["single"]} == single

    by_category = defaultdict(list)
    for category, before, after in counted_by_hand().values():
        by_category[category].append((before, after))
    expected = {}
    for category, prices in by_category.items():
        mean = sum(Decimal(after - before) * 100 / before for before, after in prices) / len(prices)
        if mean > 0:
            expected[category] = (len(prices), sum(after > before for before, after in prices),
                                  mean.quantize(Decimal("0.1"), rounding=ROUND_HALF_UP))
    assert expected, "the demo data has categories that got dearer"
    assert {rise.category.slug: (rise.products, rise.rose, rise.percent) for rise in context["rises"]} == expected
    percents = [rise.percent for rise in context["rises"]]
    assert percents == sorted(percents, reverse=True)

    cuts = defaultdict(list)
    for change in PriceChange.objects.select_related("offer__seller"):
        if change.changed_at >= since and change.new_price < change.old_price:
            cuts[change.offer.seller.slug].append((change.old_price - change.new_price) * 100 / change.old_price)
    assert cuts
    assert {row.seller.slug: (row.cuts, float(row.percent)) for row in context["cutters"]} == {
        slug: (len(values), float(Decimal(sum(values) / len(values)).quantize(Decimal("0.1"), ROUND_HALF_UP)))
        for slug, values in cuts.items()
    }
    assert context["cutters"][0].seller.slug == "kwangbok"

    exported = list(csv.DictReader(io.StringIO(staff_client.get(REPORT, {"format": "csv"}).content.decode())))
    assert {row["slug"] for row in exported if row["kind"] == "single_seller"} == single
    assert {row["slug"]: Decimal(row["percent"]) for row in exported if row["kind"] == "category_rise"} == {
        slug: figures[2] for slug, figures in expected.items()}
    assert {row["slug"]: int(row["cuts"]) for row in exported if row["kind"] == "price_cuts"} == {
        slug: len(values) for slug, values in cuts.items()}


def test_the_demo_has_a_chart_and_a_seller_clerk_and_seeds_once(demo, client):
    count = PriceChange.objects.count()
    call_command("seed_demo", stdout=io.StringIO())
    assert PriceChange.objects.count() == count >= 10
    html = client.get(reverse("catalog:product", args=["pyongyang-raengmyon"])).content.decode()
    assert "최저가" in html and "2,800원 → 2,500원" in html and "<svg" in html
    client.force_login(get_user_model().objects.get(username="kwangbok-clerk"))
    standing = client.get(reverse("admin:catalog_standing_changelist"), {"cheapest": "no"})
    assert standing.status_code == 200
    rows = standing.context["cl"].result_list
    assert rows and {offer.seller.slug for offer in rows} == {"kwangbok"}
    assert client.get(REPORT).status_code == 403, "the report is the bureau's"
