"""The bureau's view of competition: products that only one seller sells,
categories whose cheapest prices rose the most, sellers who cut prices.
Each is a few queries whatever the size of the catalogue."""

from dataclasses import dataclass
from datetime import datetime
from decimal import ROUND_HALF_UP, Decimal

from django.db.models import Avg, Count, ExpressionWrapper, F, FloatField, Prefetch

from catalog.models import Category, Offer, PriceChange, Product, Seller
from catalog.prices import changes_since, cheapest_series, counted_offers

LIVE_OFFERS = Offer.objects.filter(is_active=True, seller__is_active=True).select_related("seller")


def _percent(value) -> Decimal:
    return Decimal(value).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)


def single_seller_products() -> list[Product]:
    """Listed products with one live seller (no competition), by category
    and name; each with ``live_offers``, that one offer."""
    return list(Product.objects.listed().filter(seller_count=1).select_related("category")
                .prefetch_related(Prefetch("offers", queryset=LIVE_OFFERS, to_attr="live_offers"))
                .order_by("category__position", "category__name_ko", "name_ko", "pk"))


@dataclass(frozen=True)
class CategoryRise:
    category: Category
    products: int  # products sold in the category
    rose: int  # of which the cheapest price rose
    percent: Decimal  # the mean change of their cheapest prices, in percent


def category_rises(*, since: datetime) -> list[CategoryRise]:
    """Categories (the product's own) whose products' cheapest price rose on
    average since ``since``, the steepest first. A product's cheapest price is
    rebuilt from the price history of the offers that make its best price."""
    products = list(Product.objects.listed().select_related("category")
                    .prefetch_related(Prefetch("offers", queryset=LIVE_OFFERS, to_attr="live_offers")))
    counted = {product.pk: counted_offers(product.live_offers) for product in products}
    changes = changes_since(offer_ids=[offer.pk for offers in counted.values() for offer in offers], since=since)
    by_category: dict[int, list] = {}
    for product in products:
        series = cheapest_series(prices={offer.pk: offer.price for offer in counted[product.pk]},
                                 changes=changes, since=since)
        before, after = series[0][1], series[-1][1]
        by_category.setdefault(product.category_id, [product.category, []])[1].append((before, after))
    rises = []
    for category, prices in by_category.values():
        mean = sum(Decimal(after - before) * 100 / before for before, after in prices) / len(prices)
        if mean > 0:
            rises.append(CategoryRise(category=category, products=len(prices),
                                      rose=sum(after > before for before, after in prices), percent=_percent(mean)))
    return sorted(rises, key=lambda rise: (-rise.percent, rise.category.name_ko))


@dataclass(frozen=True)
class PriceCuts:
    seller: Seller
    cuts: int
    percent: Decimal  # the mean cut, in percent of the old price


def price_cutters(*, since: datetime) -> list[PriceCuts]:
    """Sellers who lowered prices since ``since``, the most cuts first. Two queries."""
    cut = ExpressionWrapper((F("old_price") - F("new_price")) * 100.0 / F("old_price"), output_field=FloatField())
    rows = list(PriceChange.objects.filter(changed_at__gte=since, new_price__lt=F("old_price"))
                .values("offer__seller").annotate(cuts=Count("pk"), percent=Avg(cut)).order_by())
    sellers = Seller.objects.in_bulk([row["offer__seller"] for row in rows])
    return sorted((PriceCuts(seller=sellers[row["offer__seller"]], cuts=row["cuts"], percent=_percent(row["percent"]))
                   for row in rows), key=lambda row: (-row.cuts, -row.percent, row.seller.name_ko))

