"""The cheapest price of a product over time, rebuilt from the price history,
and the geometry of the small step chart the product page draws as inline
SVG. The chart is computed here and only placed by the template: one query
for the history whatever its length.

Which offers count is the rule of the product's best price: the live offers
in stock, or every live offer when none is. Offers are counted at their
rebuilt price over the whole window (an offer records no start of sale)."""

from dataclasses import dataclass
from datetime import datetime, timedelta

from catalog.models import Offer, PriceChange

WINDOW = timedelta(days=90)
WIDTH, HEIGHT = 320, 96
# The line stays in this box: the prices are written left of it, the dates under it.
PLOT_LEFT, PLOT_RIGHT, PLOT_TOP, PLOT_BOTTOM = 70, 314, 10, 70


def counted_offers(live_offers: list[Offer]) -> list[Offer]:
    """The offers whose cheapest price is the product's best price."""
    return [offer for offer in live_offers if offer.stock > 0] or list(live_offers)


def changes_since(*, offer_ids, since: datetime) -> list[tuple[int, datetime, int, int]]:
    """(offer id, when, from, to) of every change since ``since``, oldest first; one query."""
    return list(PriceChange.objects.filter(offer__in=offer_ids, changed_at__gte=since)
                .order_by("changed_at", "id").values_list("offer_id", "changed_at", "old_price", "new_price"))


def cheapest_series(*, prices: dict[int, int], changes, since: datetime) -> list[tuple[datetime, int]]:
    """The cheapest of the offers whose current ``prices`` (by offer id) are
    given, from ``since`` to now: (since, cheapest then), then one point each
    time the cheapest changed. ``changes`` are those since ``since``, oldest
    first; changes of other offers are ignored."""
    changes = [change for change in changes if change[0] in prices]
    current = dict(prices)
    for offer_id, _, old_price, _ in reversed(changes):
        current[offer_id] = old_price  # back to what it was at ``since``
    series = [(since, min(current.values()))]
    for offer_id, changed_at, _, new_price in changes:
        current[offer_id] = new_price
        cheapest = min(current.values())
        if cheapest != series[-1][1]:
            series.append((changed_at, cheapest))
    return series


@dataclass(frozen=True)
class Trend:
    """The cheapest price's last change and its step chart."""

    old_price: int
    new_price: int
    changed_at: datetime
    since: datetime
    now: datetime
    low: int
    high: int
    points: str  # the polyline, in the chart's coordinates
    end_y: float  # where the line ends, for its end dot

    width = WIDTH
    height = HEIGHT
    left = PLOT_LEFT
    right = PLOT_RIGHT
    top = PLOT_TOP
    bottom = PLOT_BOTTOM
    high_y = PLOT_TOP + 4
    low_y = PLOT_BOTTOM + 4
    date_y = HEIGHT - 4


def price_trend(*, live_offers: list[Offer], changes, now: datetime) -> Trend | None:
    """The trend of the cheapest price over the last 90 days, or None when it
    did not change in them (or nobody sells the product). ``changes``: as
    changes_since gives them for the last WINDOW, of these offers at least
    (others are ignored)."""
    offers = counted_offers(live_offers)
    if not offers:
        return None
    since = now - WINDOW
    series = cheapest_series(prices={offer.pk: offer.price for offer in offers},
                             changes=changes,
                             since=since)
    if len(series) < 2:
        return None
    low, high = min(price for _, price in series), max(price for _, price in series)

    def x(moment: datetime) -> float:
        return round(PLOT_LEFT + (PLOT_RIGHT - PLOT_LEFT) * (moment - since) / WINDOW, 1)

    def y(price: int) -> float:
        return round(PLOT_TOP + (PLOT_BOTTOM - PLOT_TOP) * (high - price) / (high - low), 1)

    steps = [(x(since), y(series[0][1]))]
    for moment, price in series[1:]:
        steps += [(x(moment), steps[-1][1]), (x(moment), y(price))]
    steps.append((PLOT_RIGHT, y(series[-1][1])))
    return Trend(
        old_price=series[-2][1], new_price=series[-1][1], changed_at=series[-1][0], since=since, now=now,
        low=low, high=high, points=" ".join(f"{px:g},{py:g}" for px, py in steps), end_y=steps[-1][1],
    )
