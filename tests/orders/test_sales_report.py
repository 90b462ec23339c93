"""The sales report: per day and per seller, as a page with an SVG chart
and as CSV, from a fixed number of queries."""

import csv
import io
import uuid
from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from catalog.models import Offer
from orders import refunds, services
from orders.models import Order
from payments.gateway import get_gateway
from tests import factories
from tests.orders.helpers import fill_cart

pytestmark = pytest.mark.django_db

URL = "admin:orders_order_sales"


@pytest.fixture
def sales(world):
    """Today: a store order (1500 + 1000 fee) and a mixed one (1500 + 2×1400 + 1000);
    two days ago: a factory order (1400 + 1000), all captured (picked up); a
    cancelled order and an order not yet captured that count for nothing."""
    store, factory = Offer.objects.get(seller=world.store), Offer.objects.get(seller=world.factory)

    def buy(lines, *, captured=True):
        fill_cart(world.customer, lines)
        order = services.place_order(
            user=world.customer, cart=world.customer.cart, shown_cart=factories.shown_cart(world.customer.cart),
            address=world.address, slot_id=world.slot.pk,
            card_number=world.card.number, pin=factories.PIN, token=uuid.uuid4(),
        )
        if captured:
            get_gateway().capture(order.payment)
        return order

    buy([(store, 1)])
    buy([(store, 1), (factory, 2)])
    buy([(factory, 1)], captured=False)
    old = buy([(factory, 1)])
    Order.objects.filter(pk=old.pk).update(created_at=timezone.now() - timedelta(days=2))
    services.cancel_order(order=buy([(store, 3)], captured=False), by=None)
    return world


@pytest.fixture
def boss_client(client, db):
    client.force_login(factories.user("boss", is_staff=True, is_superuser=True))
    return client


def period(days: int) -> dict:
    today = timezone.localdate()
    return {"start": (today - timedelta(days=days - 1)).isoformat(), "end": today.isoformat()}


def test_it_sums_per_day_and_per_seller(boss_client, sales):
    response = boss_client.get(reverse(URL), period(7))
    assert response.status_code == 200
    by_day = {row.label: (row.orders, row.revenue, row.average) for row in response.context["by_day"]}
    today = timezone.localdate()
    assert len(by_day) == 7
    assert by_day[today] == (2, 2500 + 5300, 3900)
    assert by_day[today - timedelta(days=2)] == (1, 2400, 2400)
    assert by_day[today - timedelta(days=1)] == (0, 0, 0)
    by_seller = {row.label.pk: (row.orders, row.revenue, row.average) for row in response.context["by_seller"]}
    assert by_seller == {sales.store.pk: (2, 3000, 1500), sales.factory.pk: (2, 2800 + 1400, 2100)}
    assert response.context["total_orders"] == 3


def test_it_draws_a_bar_per_day_as_inline_svg(boss_client, sales):
    response = boss_client.get(reverse(URL), period(7))
    html = response.content.decode()
    start = html.index('<svg class="sales-chart"')
    svg = html[start:html.index("</svg>", start)]
    assert svg.count("<rect") == 7
    assert "<script" not in svg
    heights = [bar.height for bar in response.context["chart"]]
    assert max(heights) == 200 - 16 and heights.count(0) == 5
    assert "7,800원</text>" in svg, "the tallest bar carries its value"


def test_the_same_figures_as_csv(boss_client, sales):
    response = boss_client.get(reverse(URL), {**period(3), "format": "csv"})
    assert response["Content-Type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(response.content.decode())))
    assert rows[0] == ["kind", "day_or_seller", "orders", "revenue", "average_basket"]
    assert rows[3] == ["day", timezone.localdate().isoformat(), "2", "7800", "3900"]
    assert [row[0] for row in rows[1:]] == ["day"] * 3 + ["seller"] * 2
    page = boss_client.get(reverse(URL), period(3)).content.decode()
    assert "format=csv" in page


def test_it_runs_the_same_queries_for_a_week_and_a_year(boss_client, sales):
    def count(days):
        with CaptureQueriesContext(connection) as queries:
            assert boss_client.get(reverse(URL), period(days)).status_code == 200
        return len(queries)

    assert count(7) == count(366)


@pytest.mark.parametrize("params", [
    {"start": "2026-13-01", "end": "2026-01-01"},
    {"start": "2026-02-01", "end": "2026-01-01"},
    {"start": "2020-01-01", "end": "2026-01-01"},
    {"start": "", "end": ""},
])
def test_bad_periods_are_a_400_with_a_message(boss_client, params):
    response = boss_client.get(reverse(URL), params)
    assert response.status_code == 400
    assert response.context["form"].errors


def test_it_defaults_to_the_last_thirty_days(boss_client, sales):
    assert len(boss_client.get(reverse(URL)).context["by_day"]) == 30


def test_only_staff_reach_it(client, sales):
    client.force_login(sales.customer)
    assert client.get(reverse(URL)).status_code == 302


def test_refunds_come_off_the_revenue(boss_client, sales):
    mixed = Order.objects.get(subtotal=1500 + 2800)
    factory_line = mixed.lines.get(seller=sales.factory)
    refunds.refund_lines(order=mixed, quantities={factory_line.pk: 1}, key="test", reason="bruised", by=None)

    response = boss_client.get(reverse(URL), period(1))

    [today] = response.context["by_day"]
    assert (today.orders, today.revenue) == (2, 2500 + 5300 - 1400)
    by_seller = {row.label.pk: row.revenue for row in response.context["by_seller"]}
    assert by_seller == {sales.store.pk: 3000, sales.factory.pk: 1400}
