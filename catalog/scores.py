"""The seller score: what a seller did over the last days, as one figure
from 0 to 100 that customers compare offers by, and the figures it is made
of. Catalog knows nothing of orders: the orders app counts the operations
(orders.scores) and hands them here; the reviews are catalog's own.

The score is the mean of four shares, each from 0 to 1:

- orders ready within the seller's promised preparation time, of the
  orders whose preparation time is known;
- orders that did not fail through the seller's fault (a courier's or a
  customer's fault is not the seller's and does not count);
- orders that the seller did not cancel;
- the adjusted rating, from 1★ (0) to 5★ (1).

The adjusted rating is a Bayesian mean: the mean of the reviews' stars as
if ``PRIOR_REVIEWS`` reviews of ``PRIOR_STARS`` each came first. A seller
with two 5★ reviews is not rated above one with two hundred 4.9★ ones, and
one bad review does not sink a small seller; with many reviews it comes
close to the plain mean.
"""

from dataclasses import asdict, dataclass, fields
from datetime import datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal

from django.conf import settings
from django.db import transaction
from django.db.models import Count, Max, OuterRef, Q, Subquery, Sum, Value
from django.db.models.functions import Coalesce

from catalog.cache import bump_version
from catalog.models import Offer, Product, Review, Seller, SellerScore

PRIOR_STARS = 4
PRIOR_REVIEWS = 5
LIVE_OFFER = Q(is_active=True, seller__is_active=True)


@dataclass(frozen=True)
class Operations:
    """One seller's orders over the counted days (see SellerScore's fields)."""

    orders: int = 0
    prepared: int = 0
    on_time: int = 0
    seller_failures: int = 0
    other_failures: int = 0
    seller_cancellations: int = 0


def adjusted_rating(*, reviews: int, stars: int) -> Decimal:
    """The Bayesian mean of ``reviews`` reviews of ``stars`` stars in all,
    to two decimals (see the module)."""
    mean = Decimal(PRIOR_STARS * PRIOR_REVIEWS + stars) / (PRIOR_REVIEWS + reviews)
    return mean.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


def shares(operations: Operations, rating: Decimal) -> list[Decimal]:
    """The shares the score is the mean of (see the module); the on-time
    share is left out while no order's preparation time is known."""
    parts = [Decimal(operations.on_time) / operations.prepared] if operations.prepared else []
    if operations.orders:
        parts += [1 - Decimal(operations.seller_failures) / operations.orders,
                  1 - Decimal(operations.seller_cancellations) / operations.orders]
    return [*parts, (rating - 1) / 4]


def score_of(operations: Operations, rating: Decimal) -> int | None:
    """The score from 0 to 100, or None for a seller with fewer orders
    than SELLER_SCORE_MIN_ORDERS ("new")."""
    if operations.orders < settings.SELLER_SCORE_MIN_ORDERS:
        return None
    parts = shares(operations, rating)
    return int((100 * sum(parts) / len(parts)).quantize(Decimal("1"), rounding=ROUND_HALF_UP))


def percentages(score: SellerScore) -> dict[str, int | None]:
    """The score's shares in whole per cent, for its public page (None for
    a share of no orders)."""
    def percent(part: int, whole: int) -> int | None:
        return int((Decimal(100 * part) / whole).quantize(Decimal("1"), rounding=ROUND_HALF_UP)) if whole else None

    return {"on_time": percent(score.on_time, score.prepared),
            "seller_failures": percent(score.seller_failures, score.orders),
            "seller_cancellations": percent(score.seller_cancellations, score.orders)}


@transaction.atomic
def record_seller_scores(*, operations: dict[int, Operations], days: int, now: datetime) -> int:
    """Write every seller's score from ``operations`` (seller id → what the
    orders app counted over the last ``days``; a seller left out did
    nothing) and the reviews written since, and bring the products' best
    seller score up to date. Returns how many sellers' figures changed.

    Safe to run twice: the second run with the same counts changes nothing
    but the time counted, and only a change makes the cached pages stale.
    Two runs at once wait for each other: the score rows there are locked
    in id order, and those not yet there are inserted in one upsert, whose
    conflicting insert waits for the first run's commit."""
    since = now - timedelta(days=days)
    reviewed = {
        row["seller"]: row for row in Review.objects.filter(is_hidden=False, created_at__gte=since)
        .values("seller").annotate(count=Count("pk"), stars=Sum("stars"))
    }
    current = {row.pk: row for row in SellerScore.objects.select_for_update().order_by("pk")}
    rows = []
    for seller_id in Seller.objects.order_by("pk").values_list("pk", flat=True):
        counted = operations.get(seller_id, Operations())
        review = reviewed.get(seller_id, {"count": 0, "stars": 0})
        rating = adjusted_rating(reviews=review["count"], stars=review["stars"])
        rows.append(SellerScore(
            seller_id=seller_id, days=days, **asdict(counted), reviews=review["count"], review_stars=review["stars"],
            rating=rating, score=score_of(counted, rating), computed_at=now,
        ))
    changed = [row for row in rows if _score_fields(row) != _score_fields(current.get(row.pk))]
    SellerScore.objects.bulk_create(
        rows, update_conflicts=True, unique_fields=["seller"],
        update_fields=[field.name for field in SellerScore._meta.concrete_fields if not field.primary_key],
    )
    rescored = [row.pk for row in changed if current.get(row.pk) is None or current[row.pk].score != row.score]
    if rescored:
        refresh_best_seller_scores(product_ids=Offer.objects.filter(seller__in=rescored).values("product_id"))
    if changed:
        bump_version()
    return len(changed)


SCORE_FIELDS = ("days", *(field.name for field in fields(Operations)), "reviews", "review_stars", "rating", "score")


def _score_fields(row: SellerScore | None) -> tuple | None:
    return None if row is None else tuple(getattr(row, name) for name in SCORE_FIELDS)


def best_seller_score():
    """The best score among the sellers of the product's live offers (for
    an update of products), 0 when every one is new."""
    best = (Offer.objects.filter(LIVE_OFFER, product=OuterRef("pk")).order_by()
            .values("product").annotate(best=Max("seller__score__score")).values("best"))
    return Coalesce(Subquery(best), Value(0))


def refresh_best_seller_scores(*, product_ids) -> None:
    """Recompute the products' best seller score; the products are locked in
    id order first, as checkout's summaries take them."""
    locked = list(Product.objects.select_for_update().filter(pk__in=product_ids).order_by("pk")
                  .values_list("pk", flat=True))
    Product.objects.filter(pk__in=locked).update(best_seller_score=best_seller_score())
