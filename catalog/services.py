"""Catalog workflows: stock taken and given back, and the product summary
(best price, sellers, stock, sales) that listings sort on."""

from django.db import transaction
from django.db.models import Count, F, Min, Q

from catalog.models import Offer, Product


class OutOfStock(Exception):
    """An offer cannot supply the quantity asked for."""

    def __init__(self, offer: Offer, available: int):
        super().__init__(f"offer {offer.pk}: {available} left")
        self.offer = offer
        self.available = available


class OfferUnavailable(Exception):
    """An offer was withdrawn, or its seller or product is no longer active."""

    def __init__(self, offer_id: int):
        super().__init__(f"offer {offer_id} is not available")
        self.offer_id = offer_id


@transaction.atomic
def take_stock(*, quantities: dict[int, int]) -> dict[int, Offer]:
    """Lock the offers in id order, check each can supply its quantity, take it.

    Raises OfferUnavailable or OutOfStock and takes nothing when any offer
    falls short. The caller's transaction keeps the locks until it ends, so
    two checkouts can never sell the same unit.
    """
    offers = {
        offer.pk: offer
        for offer in Offer.objects.select_for_update(of=("self",))
        .select_related("product", "seller")
        .filter(pk__in=quantities)
        .order_by("pk")
    }
    for offer_id in sorted(quantities):
        offer = offers.get(offer_id)
        if offer is None or not (offer.is_active and offer.seller.is_active and offer.product.is_active):
            raise OfferUnavailable(offer_id)
        if offer.stock < quantities[offer_id]:
            raise OutOfStock(offer, offer.stock)
    for offer_id in sorted(quantities):
        Offer.objects.filter(pk=offer_id).update(stock=F("stock") - quantities[offer_id])
        offers[offer_id].stock -= quantities[offer_id]
    _count_units_sold(offers.values(), quantities, sign=1)
    return offers


@transaction.atomic
def return_stock(*, quantities: dict[int, int]) -> None:
    """Give back units taken by an order that was cancelled, in id order."""
    offers = list(Offer.objects.select_for_update().filter(pk__in=quantities).order_by("pk"))
    for offer in offers:
        Offer.objects.filter(pk=offer.pk).update(stock=F("stock") + quantities[offer.pk])
    _count_units_sold(offers, quantities, sign=-1)


def _count_units_sold(offers, quantities: dict[int, int], *, sign: int) -> None:
    # Products are updated in id order, like the offers, so that two
    # checkouts touching the same products cannot deadlock.
    sold: dict[int, int] = {}
    for offer in offers:
        sold[offer.product_id] = sold.get(offer.product_id, 0) + quantities[offer.pk]
    for product_id in sorted(sold):
        Product.objects.filter(pk=product_id).update(units_sold=F("units_sold") + sign * sold[product_id])
    refresh_product_summaries(product_ids=sorted(sold))


def refresh_product_summaries(*, product_ids) -> None:
    """Recompute best price, number of sellers and stock flag from live offers."""
    live = Q(offers__is_active=True, offers__seller__is_active=True)
    summaries = (
        Product.objects.filter(pk__in=product_ids)
        .order_by("pk")
        .annotate(
            in_stock_price=Min("offers__price", filter=live & Q(offers__stock__gt=0)),
            any_price=Min("offers__price", filter=live),
            live_seller_count=Count("offers", filter=live),
        )
        .values("pk", "in_stock_price", "any_price", "live_seller_count")
    )
    for row in summaries:
        Product.objects.filter(pk=row["pk"]).update(
            best_price=row["in_stock_price"] or row["any_price"],
            seller_count=row["live_seller_count"],
            in_stock=row["in_stock_price"] is not None,
        )
