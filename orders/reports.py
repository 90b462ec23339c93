"""Sales figures for the staff report, aggregated by PostgreSQL, the
geometry of the bar chart the report draws as inline SVG, and each offer's
standing against the other sellers of its product."""

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from django.db.models import Count, F, OuterRef, Subquery, Sum
from django.db.models.functions import Coalesce, TruncDate

from catalog.models import Offer, Seller
from orders.models import Order, OrderLine

# Cancelled and refunded orders brought in nothing.
NOT_SALES = [Order.Status.CANCELLED, Order.Status.REFUNDED]


@dataclass
class SalesRow:
    label: object  # a date, or a Seller
    orders: int
    revenue: int

    @property
    def average(self) -> int:
        return self.revenue // self.orders if self.orders else 0


def _sold_orders(*, start: date, end: date):
    """Orders placed in the period whose money was taken: a hold not yet
    captured is no revenue."""
    return Order.objects.filter(created_at__date__gte=start, created_at__date__lte=end,
                                payment__captured__gt=0).exclude(status__in=NOT_SALES)


def sales_by_day(*, start: date, end: date) -> list[SalesRow]:
    """One row per day from ``start`` to ``end``, days without sales
    included; revenue is what was captured less what was refunded (goods
    and delivery). One query."""
    totals = {
        row["day"]: row
        for row in _sold_orders(start=start, end=end)
        .annotate(day=TruncDate("created_at"))
        .values("day")
        .annotate(orders=Count("id"), revenue=Sum(F("payment__captured") - F("payment__refunded")))
        .order_by("day")
    }
    rows = []
    day = start
    while day <= end:
        found = totals.get(day, {})
        rows.append(SalesRow(label=day, orders=found.get("orders", 0), revenue=found.get("revenue") or 0))
        day += timedelta(days=1)
    return rows


def sales_by_seller(*, start: date, end: date) -> list[SalesRow]:
    """One row per seller that sold in the period, best first; revenue is the
    seller's goods not given back (delivery fees are the bureau's). Two queries."""
    totals = list(
        OrderLine.objects.filter(order__in=_sold_orders(start=start, end=end))
        .values("seller_id")
        .annotate(orders=Count("order_id", distinct=True),
                  revenue=Sum(F("unit_price") * (F("quantity") - F("refunded_quantity"))))
        .order_by("-revenue", "seller_id")
    )
    sellers = Seller.objects.in_bulk([row["seller_id"] for row in totals])
    return [SalesRow(label=sellers[row["seller_id"]], orders=row["orders"], revenue=row["revenue"]) for row in totals]


@dataclass
class Bar:
    x: float
    y: float
    width: float
    height: float
    label: str
    value: int
    show_label: bool

    @property
    def middle(self) -> float:
        return round(self.x + self.width / 2, 1)


CHART_WIDTH = 720
CHART_HEIGHT = 240
CHART_TOP = 16  # room above the tallest bar for its value
CHART_BASELINE = 200  # room under the bars for the labels
CHART_MAX_LABELS = 12  # day labels that fit side by side under the bars


def bar_chart(points: list[tuple[str, int]]) -> list[Bar]:
    """Bars scaled to the tallest value, side by side across CHART_WIDTH;
    every n-th bar labelled, so that labels never overlap."""
    if not points:
        return []
    tallest = max(value for _, value in points) or 1
    slot = CHART_WIDTH / len(points)
    width = max(slot * 0.7, 1)
    label_every = -(-len(points) // CHART_MAX_LABELS)
    bars = []
    for index, (label, value) in enumerate(points):
        height = round((CHART_BASELINE - CHART_TOP) * value / tallest, 1)
        bars.append(Bar(
            x=round(index * slot + (slot - width) / 2, 1), y=round(CHART_BASELINE - height, 1),
            width=round(width, 1), height=height, label=label, value=value, show_label=index % label_every == 0,
        ))
    return bars


def with_standing(offers, *, since: datetime):
    """``offers`` annotated with what their seller may know of the others:
    ``cheapest_other`` (the lowest price of another seller's live offer of the
    product, as customers see it; None when nobody else sells it), ``rank``
    (1 + how many other live offers are cheaper), and units of the product
    sold since ``since`` by the offer's seller (``units_mine``) and by all the
    others together (``units_others``). Subqueries: one query for a page."""
    others = (Offer.objects.filter(product=OuterRef("product"), is_active=True, seller__is_active=True)
              .exclude(seller=OuterRef("seller")))
    sold = (OrderLine.objects.filter(product=OuterRef("product"), order__created_at__gte=since)
            .exclude(order__status__in=NOT_SALES))

    def one(rows, total):
        return Subquery(rows.values("product").annotate(total=total).values("total")[:1])

    return offers.annotate(
        cheapest_other=Subquery(others.order_by("price").values("price")[:1]),
        rank=Coalesce(one(others.filter(price__lt=OuterRef("price")), Count("pk")), 0) + 1,
        units_mine=Coalesce(one(sold.filter(seller=OuterRef("seller")), Sum("quantity")), 0),
        units_others=Coalesce(one(sold.exclude(seller=OuterRef("seller")), Sum("quantity")), 0),
    )
