"""Catalog workflows: stock taken and given back, the product summary
(best price, sellers, stock, sales, rating) that listings sort on, prices
changed and recorded, product images stored with their thumbnails, voice and
video handed to the transcoding job and its renditions recorded, and reviews."""

from datetime import datetime
from decimal import ROUND_HALF_UP, Decimal

from django.db import transaction
from django.db.models import Avg, Count, F, Min, Q
from django.utils import timezone

from catalog import recordings, tasks
from catalog.cache import bump_stock_version, bump_version
from catalog.media import check_image, delete_image, write_image
from catalog.models import Offer, PriceChange, Product, ProductMedia, Review, Seller, WishItem
from catalog.scores import best_seller_score
from okryu.jobs import defer_on_commit


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
    # A product's summary (best price, sellers, in stock) reads only which
    # offers are in stock: it changes when one sells out, not at every sale.
    _count_units_sold(offers.values(), quantities, sign=1,
                      refresh=sorted({offer.product_id for offer in offers.values() if offer.stock == 0}))
    return offers


@transaction.atomic
def return_stock(*, quantities: dict[int, int]) -> None:
    """Give back units taken by an order that was cancelled, in id order."""
    offers = list(Offer.objects.select_for_update().filter(pk__in=quantities).order_by("pk"))
    for offer in offers:
        Offer.objects.filter(pk=offer.pk).update(stock=F("stock") + quantities[offer.pk])
    _count_units_sold(offers, quantities, sign=-1, refresh=sorted({offer.product_id for offer in offers}))


def _count_units_sold(offers, quantities: dict[int, int], *, sign: int, refresh: list[int]) -> None:
    """Count the units in the products' sales and refresh the summaries of
    the products ``refresh`` names (sorted): the catalogue version moves,
    or only the stock version when there are none."""
    # Products are updated in id order, like the offers, so that two
    # checkouts touching the same products cannot deadlock.
    sold: dict[int, int] = {}
    for offer in offers:
        sold[offer.product_id] = sold.get(offer.product_id, 0) + quantities[offer.pk]
    for product_id in sorted(sold):
        Product.objects.filter(pk=product_id).update(units_sold=F("units_sold") + sign * sold[product_id])
    if refresh:
        refresh_product_summaries(product_ids=refresh)
    else:
        # No listing shows a stock count: only the product pages are stale (catalog.cache).
        bump_stock_version()


def refresh_product_summaries(*, product_ids) -> None:
    """Recompute best price, number of sellers, stock flag and best seller
    score from live offers."""
    live = Q(offers__is_active=True, offers__seller__is_active=True)
    summaries = (
        Product.objects.filter(pk__in=product_ids)
        .order_by("pk")
        .annotate(
            in_stock_price=Min("offers__price", filter=live & Q(offers__stock__gt=0)),
            any_price=Min("offers__price", filter=live),
            live_seller_count=Count("offers", filter=live),
        )
        .values("pk", "in_stock", "in_stock_price", "any_price", "live_seller_count")
    )
    restocked = []
    for row in summaries:
        Product.objects.filter(pk=row["pk"]).update(
            best_price=row["in_stock_price"] or row["any_price"],
            seller_count=row["live_seller_count"],
            in_stock=row["in_stock_price"] is not None,
            best_seller_score=best_seller_score(),
        )
        if not row["in_stock"] and row["in_stock_price"] is not None:
            restocked.append(row["pk"])
    # Watchers hear of a restock from a job, after the commit; the job
    # decides whether this restock is news (catalog.wishes.tell_watchers).
    if restocked:
        watched = WishItem.objects.filter(product__in=restocked, watching=True).order_by("product_id")
        for product_id in watched.values_list("product_id", flat=True).distinct():
            defer_on_commit(tasks.tell_watchers, product_id=product_id)
    # Every change of offers, prices, stock or sales ends here.
    bump_version()


@transaction.atomic
def set_offers_active(*, offers, active: bool) -> int:
    """Switch offers on or off and bring their products' summaries up to date.
    The offers are locked in id order first, as checkout locks them."""
    offer_ids = [pk for (pk,) in Offer.objects.select_for_update().filter(pk__in=offers.values("pk"))
                 .order_by("pk").values_list("pk")]
    Offer.objects.filter(pk__in=offer_ids).update(is_active=active)
    refresh_product_summaries(product_ids=_products_of(offer_ids))
    return len(offer_ids)


@transaction.atomic
def set_sellers_active(*, sellers, active: bool) -> int:
    """Switch sellers on or off; every product they offer gets its summary
    recomputed, since an inactive seller's offers no longer count."""
    seller_ids = list(sellers.order_by("pk").values_list("pk", flat=True))
    Seller.objects.filter(pk__in=seller_ids).update(is_active=active)
    refresh_product_summaries(product_ids=_products_of(
        Offer.objects.filter(seller__in=seller_ids).values_list("pk", flat=True)
    ))
    return len(seller_ids)


@transaction.atomic
def set_products_active(*, products, active: bool) -> int:
    """Put products on sale or take them off; their pages and the listings
    follow once this commits."""
    count = products.update(is_active=active)
    bump_version()
    return count


@transaction.atomic
def set_offer_prices(*, prices: dict[int, int], source: str, by=None, at: datetime | None = None) -> int:
    """Give each offer (by id) its new price, the one way an existing offer's
    price changes. Each offer whose price differs gets one PriceChange row
    (who, when, from, to); the same price records nothing. The offers are
    locked in id order, like checkout locks them, and their products'
    summaries follow in the same transaction. Returns how many changed.

    ``at`` backdates the change, for demo data only."""
    at = at or timezone.now()
    locked = list(Offer.objects.select_for_update().filter(pk__in=prices).order_by("pk"))
    changed = [offer for offer in locked if offer.price != prices[offer.pk]]
    PriceChange.objects.bulk_create(
        PriceChange(offer=offer, old_price=offer.price, new_price=prices[offer.pk], by=by, source=source,
                    changed_at=at)
        for offer in changed
    )
    for offer in changed:
        offer.price, offer.updated_at = prices[offer.pk], timezone.now()
    Offer.objects.bulk_update(changed, ["price", "updated_at"])
    refresh_product_summaries(product_ids=sorted({offer.product_id for offer in locked}))
    return len(changed)


@transaction.atomic
def change_offer_prices(*, offers, percent: Decimal, by=None) -> int:
    """Raise (or with a negative percent, lower) the price of each offer by
    ``percent``, rounded half up to a whole won and never below ₩1, through
    set_offer_prices. Returns how many offers were asked for."""
    factor = 1 + Decimal(percent) / 100
    locked = list(Offer.objects.select_for_update().filter(pk__in=offers.values("pk")).order_by("pk"))
    set_offer_prices(prices={
        offer.pk: max(1, int((offer.price * factor).quantize(Decimal(1), rounding=ROUND_HALF_UP)))
        for offer in locked
    }, source=PriceChange.Source.BULK, by=by)
    return len(locked)


def _products_of(offer_ids) -> list[int]:
    return sorted(set(Offer.objects.filter(pk__in=offer_ids).values_list("product_id", flat=True)))


@transaction.atomic
def store_product_image(*, product: Product, file) -> None:
    """Check ``file`` (ValidationError if refused), store a re-encoded copy as
    the product's image with its thumbnails, and delete the files it
    replaces once the transaction commits. ``file=None`` removes the image."""
    store_image(row=product, field="image", file=file, folder="products")


@transaction.atomic
def store_media_image(*, media: ProductMedia, file) -> None:
    """The same as store_product_image for an image in a product's gallery."""
    store_image(row=media, field="file", file=file, folder="products/gallery")


@transaction.atomic
def store_image(*, row, field: str, file, folder: str) -> None:
    """Store ``file`` as the image in ``row``'s ``field`` and its
    ``thumbnails``, as store_product_image does, for any model with those
    two fields (lodgings and room types use it too)."""
    old_name, old_thumbnails = getattr(row, field).name, row.thumbnails
    name, thumbnails = write_image(image=check_image(file), folder=folder) if file else ("", {})
    type(row).objects.filter(pk=row.pk).update(**{field: name, "thumbnails": thumbnails})
    getattr(row, field).name = name
    row.thumbnails = thumbnails
    bump_version()
    # Files are not transactional: the old ones go only once the new names are committed.
    transaction.on_commit(lambda: delete_image(name=old_name, thumbnails=old_thumbnails))


@transaction.atomic
def store_recording(*, media: ProductMedia, by=None, right_away: bool = False) -> ProductMedia:
    """``media`` (saved, its original checked by catalog.recordings) has a new
    original: it waits for the transcoding job, queued once this commits;
    the renditions of the old original are deleted then. ``right_away``
    runs the job's work here instead (a command run by hand, such as the
    demo data), so the player is there at once and nothing is queued."""
    old_renditions = media.renditions
    media = media.start_processing(by=by)
    bump_version()
    transaction.on_commit(lambda: recordings.delete_renditions(old_renditions))
    if right_away:
        tasks.transcode_media(media_id=media.pk, original=media.file.name)
        media.refresh_from_db()
    else:
        defer_on_commit(tasks.transcode_media, media_id=media.pk, original=media.file.name)
    return media


@transaction.atomic
def add_recording(*, product: Product, kind: str, file, right_away: bool = False, **texts) -> ProductMedia:
    """Check ``file`` as ``kind`` (ValidationError if refused) and add it to
    ``product``'s gallery with ``texts`` (captions, transcripts), transcoded
    as store_recording says."""
    (recordings.check_video if kind == ProductMedia.Kind.VIDEO else recordings.check_voice)(file)
    media = ProductMedia.objects.create(product=product, kind=kind, file=file, **texts)
    return store_recording(media=media, right_away=right_away)


class AlreadyReviewed(Exception):
    """This purchase has been reviewed already."""


@transaction.atomic
def submit_review(*, author, product: Product, seller: Seller, stars: int, text: str, purchase_key: str) -> Review:
    """Record one review per purchase and update the product's and the
    seller's rating in the same transaction.

    The caller vouches that ``author`` bought ``product`` from ``seller`` in
    the purchase named by ``purchase_key`` and that it was delivered. Raises
    AlreadyReviewed for a second review of the same purchase (the unique
    constraint on ``purchase_key`` backs this up).
    """
    _lock_rated(product_ids=[product.pk], seller_ids=[seller.pk])
    if Review.objects.filter(purchase_key=purchase_key).exists():
        raise AlreadyReviewed(purchase_key)
    review = Review.objects.create(
        product=product, seller=seller, author=author, stars=stars, text=text, purchase_key=purchase_key
    )
    _refresh_ratings(product_ids=[product.pk], seller_ids=[seller.pk])
    return review


def reviewed_purchases(*, keys) -> set[str]:
    """Which of these purchase keys already have a review (hidden or not)."""
    return set(Review.objects.filter(purchase_key__in=keys).values_list("purchase_key", flat=True))


@transaction.atomic
def set_reviews_hidden(*, reviews, hidden: bool) -> int:
    """Hide reviews from customers (or show them again); the ratings of their
    products and sellers count visible reviews only."""
    rows = list(reviews.values_list("pk", "product_id", "seller_id"))
    product_ids = sorted({product_id for _, product_id, _ in rows})
    seller_ids = sorted({seller_id for _, _, seller_id in rows})
    _lock_rated(product_ids=product_ids, seller_ids=seller_ids)
    Review.objects.filter(pk__in=[pk for pk, _, _ in rows]).update(is_hidden=hidden)
    _refresh_ratings(product_ids=product_ids, seller_ids=seller_ids)
    return len(rows)


def _lock_rated(*, product_ids, seller_ids) -> None:
    # Always products before sellers, each in id order, so that two reviews
    # (or a review and a staff action) cannot deadlock; the lock also makes
    # the average read after it include every committed review.
    list(Product.objects.select_for_update().filter(pk__in=product_ids).order_by("pk").values_list("pk"))
    list(Seller.objects.select_for_update().filter(pk__in=seller_ids).order_by("pk").values_list("pk"))


def _refresh_ratings(*, product_ids, seller_ids) -> None:
    visible = Review.objects.filter(is_hidden=False)
    for model, key, ids in ((Product, "product", product_ids), (Seller, "seller", seller_ids)):
        for pk in ids:
            summary = visible.filter(**{key: pk}).aggregate(average=Avg("stars"), count=Count("pk"))
            average = Decimal(summary["average"] or 0).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
            model.objects.filter(pk=pk).update(rating=average, rating_count=summary["count"])
    bump_version()
