"""The orders behind the seller score (catalog.scores), counted where orders
and deliveries are known. A seller's part of a paid order is its delivery:
one per seller and order, so each delivery of an order placed in the last
SELLER_SCORE_DAYS days counts as one of that seller's orders. The admin's
orders list selects the same deliveries (orders.admin.ScoreFilter), so
staff see the orders behind each figure."""

from collections import defaultdict
from dataclasses import replace
from datetime import datetime, timedelta

from django.conf import settings
from django.db.models import (
    BooleanField,
    DateTimeField,
    DurationField,
    Exists,
    ExpressionWrapper,
    F,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Value,
)
from django.db.models.functions import Coalesce, Least
from django.utils import timezone

from catalog.scores import Operations, record_seller_scores
from delivery.models import Delivery, DeliveryEvent
from orders.models import Order, OrderEvent

# The figures a delivery can count in, as boolean annotations of scored_deliveries.
FIGURES = ("on_time", "late", "seller_failed", "other_failed", "seller_cancelled")


def _first_event(to_status: str):
    """When the delivery's order first moved to ``to_status``."""
    return Subquery(OrderEvent.objects.filter(order=OuterRef("order_id"), to_status=to_status)
                    .order_by("created_at", "id").annotate(at=Coalesce("happened_at", "created_at")).values("at")[:1])


def goods_ready_at():
    """When the seller had the delivery's goods ready for the courier: its
    own ready mark (Delivery.mark_ready), else the courier's pickup (the
    goods were ready by then at the latest), else the order's first "ready"
    step (orders from before the sellers marked their own deliveries),
    whichever came first: PostgreSQL's LEAST skips a missing one."""
    return Least("ready_at", "picked_up_at", _first_event(Order.Status.READY))


def _failed(faults) -> Exists:
    # Every failure's event keeps its own fault: one a redelivery put right still counts.
    return Exists(DeliveryEvent.objects.filter(delivery=OuterRef("pk"), to_status=Delivery.Status.FAILED,
                                               fault__in=faults))


def scored_deliveries(*, now: datetime) -> QuerySet[Delivery]:
    """The deliveries of paid orders placed in the counted days, each with
    the figures it counts in (FIGURES, booleans):

    - ``on_time``: ready within the seller's promised preparation time from
      payment; ``late``: ready later, or not ready and not cancelled when
      the promise ran out (before ``now``);
    - ``seller_failed``: failed at least once through the seller's fault;
      ``other_failed``: through the courier's, the customer's or nobody's,
      which does not lower the score;
    - ``seller_cancelled``: cancelled by the seller.
    """
    ready_by = ExpressionWrapper(F("paid_at") + ExpressionWrapper(
        F("seller__preparation_minutes") * Value(timedelta(minutes=1)), output_field=DurationField()),
        output_field=DateTimeField())
    since = now - timedelta(days=settings.SELLER_SCORE_DAYS)
    seller = [Delivery.Fault.SELLER]
    others = [Delivery.Fault.COURIER, Delivery.Fault.CUSTOMER, Delivery.Fault.NOBODY]
    return (
        Delivery.objects.filter(order__created_at__gte=since)
        .annotate(paid_at=_first_event(Order.Status.PAID), goods_ready_at=goods_ready_at())
        .filter(paid_at__isnull=False)
        .annotate(ready_by=ready_by)
        .annotate(
            on_time=ExpressionWrapper(Q(goods_ready_at__lte=F("ready_by")), output_field=BooleanField()),
            late=ExpressionWrapper(
                Q(goods_ready_at__gt=F("ready_by"))
                | (Q(goods_ready_at__isnull=True, ready_by__lt=now) & ~Q(status=Delivery.Status.CANCELLED)),
                output_field=BooleanField()),
            seller_failed=_failed(seller),
            other_failed=_failed(others),
            seller_cancelled=Exists(DeliveryEvent.objects.filter(
                delivery=OuterRef("pk"), to_status=Delivery.Status.CANCELLED, fault=Delivery.Fault.SELLER)),
        )
    )


def seller_operations(*, now: datetime) -> dict[int, Operations]:
    """Each seller's counts over the counted days (sellers without orders left out)."""
    counted: dict[int, Operations] = defaultdict(Operations)
    rows = scored_deliveries(now=now).values_list("seller_id", *FIGURES)
    for seller_id, on_time, late, seller_failed, other_failed, seller_cancelled in rows.iterator():
        ops = counted[seller_id]
        counted[seller_id] = replace(
            ops, orders=ops.orders + 1, prepared=ops.prepared + bool(on_time or late),
            on_time=ops.on_time + bool(on_time), seller_failures=ops.seller_failures + seller_failed,
            other_failures=ops.other_failures + other_failed,
            seller_cancellations=ops.seller_cancellations + seller_cancelled,
        )
    return dict(counted)


def refresh_seller_scores(*, now: datetime | None = None) -> int:
    """Count every seller's operations and record their scores (see
    catalog.scores.record_seller_scores, which is safe to run twice);
    returns how many sellers' figures changed."""
    now = now or timezone.now()
    return record_seller_scores(operations=seller_operations(now=now), days=settings.SELLER_SCORE_DAYS, now=now)
