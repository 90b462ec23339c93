"""Reconciliation: the queries that prove, after a load or fault run, that
nothing was lost, taken twice or left half-written across orders,
payments, stock, the ledger and delivery slots.

``problems()`` returns every broken invariant by name with the offending
rows (an empty dict means all hold); the reliability tests and the bench
scripts both call it."""

from collections import defaultdict

from django.db.models import Count, F, OuterRef, Q, Subquery, Sum
from django.db.models.functions import Coalesce
from django.utils import timezone

from catalog.models import Offer
from delivery.models import Delivery, TimeSlot
from orders.models import Order, OrderLine, Refund
from payments.models import Account, LedgerEntry, LedgerTransaction, Payment

# How checkout keys the payments it takes (orders.services.place_order).
CHECKOUT_KEY = "order:"
# Payments whose money is still with the bureau: a cancelled order must have none.
OPEN_PAYMENT = Q(payment__status=Payment.Status.AUTHORIZED) | Q(payment__captured__gt=F("payment__refunded"))


def problems(*, stock_before: dict[int, int] | None = None) -> dict[str, list]:
    """Every invariant that does not hold, with the rows that break it.

    ``stock_before`` (offer id → stock at the start of the run) adds the
    check that the stock taken equals the units sold and not back in stock
    (cancelled, removed, returned to be sold again), offer by offer."""
    ordered_payments = Order.objects.filter(payment__isnull=False).values("payment_id")
    # Only the payments checkout takes: a stay's payment belongs to lodging,
    # whose own reconciliation (lodging.reconcile) accounts for it.
    checkout_payments = Payment.objects.filter(idempotency_key__startswith=CHECKOUT_KEY)
    found = {
        "order without a payment": list(Order.objects.filter(payment__isnull=True).values_list("number", flat=True)),
        "order total differs from its payment": list(
            Order.objects.exclude(total=F("payment__authorized")).exclude(payment__isnull=True)
            .values_list("number", flat=True)
        ),
        "payment shared by orders": list(
            Order.objects.filter(payment__isnull=False).values("payment_id").annotate(n=Count("pk"))
            .filter(n__gt=1).values_list("payment_id", flat=True)
        ),
        "capture without an order": list(
            checkout_payments.filter(captured__gt=0).exclude(pk__in=ordered_payments).values_list("pk", flat=True)
        ),
        "hold without an order": list(
            checkout_payments.filter(status=Payment.Status.AUTHORIZED).exclude(pk__in=ordered_payments)
            .values_list("pk", flat=True)
        ),
        "hold past its expiry": list(
            Payment.objects.filter(status=Payment.Status.AUTHORIZED, hold_expires_at__lt=timezone.now())
            .values_list("pk", flat=True)
        ),
        "cancelled order still holding money": list(
            Order.objects.filter(OPEN_PAYMENT, status=Order.Status.CANCELLED).values_list("number", flat=True)
        ),
        "paid order without a live hold or capture": list(
            Order.objects.exclude(status__in=[Order.Status.CANCELLED, Order.Status.REFUNDED, Order.Status.PLACED])
            .exclude(OPEN_PAYMENT).values_list("number", flat=True)
        ),
        "negative stock": list(Offer.objects.filter(stock__lt=0).values_list("pk", flat=True)),
        "ledger transaction not summing to zero": list(
            LedgerTransaction.objects.annotate(total=Sum("entries__amount")).exclude(total=0)
            .values_list("pk", flat=True)
        ),
        "cached balance differs from entries": list(
            Account.objects.annotate(total=Sum("entries__amount", default=0)).exclude(balance=F("total"))
            .values_list("pk", flat=True)
        ),
        "slot booked differs from live deliveries": list(
            TimeSlot.objects.annotate(live=Count("deliveries", filter=~Q(deliveries__status=Delivery.Status.CANCELLED)))
            .exclude(booked=F("live")).values_list("pk", flat=True)
        ),
    }
    orders = Order.objects.annotate(lines_back=_per_order(OrderLine, F("unit_price") * F("refunded_quantity")),
                                    recorded=_per_order(Refund, F("amount") - F("fee")),
                                    recorded_fee=_per_order(Refund, F("fee")))
    # What the bureau kept of a captured order is its total less all given back.
    found["money kept differs from the lines kept"] = list(
        orders.filter(payment__captured__gt=0)
        .exclude(payment__captured=F("total") - F("lines_back") - F("fee_refunded") + F("payment__refunded"))
        .values_list("number", flat=True)
    )
    # A whole cancellation gives everything back without refund rows.
    found["refund rows differ from the lines given back"] = list(
        orders.exclude(status=Order.Status.CANCELLED)
        .exclude(recorded=F("lines_back"), recorded_fee=F("fee_refunded")).values_list("number", flat=True)
    )
    found = {name: rows for name, rows in found.items() if rows}
    total = LedgerEntry.objects.aggregate(total=Sum("amount", default=0))["total"]
    if total:
        found["ledger not summing to zero"] = [total]
    if stock_before is not None:
        found["stock taken differs from units ordered"] = _stock_mismatches(stock_before)
    return {name: rows for name, rows in found.items() if rows}


def _per_order(model, amount) -> Coalesce:
    """Sum of ``amount`` over ``model``'s rows of each order, 0 for none."""
    rows = model.objects.filter(order=OuterRef("pk")).values("order").annotate(total=Sum(amount)).values("total")
    return Coalesce(Subquery(rows), 0)


def _stock_mismatches(stock_before: dict[int, int]) -> list[tuple[int, int, int]]:
    """(offer, units taken, units sold and not back in stock) where they differ."""
    ordered = defaultdict(int, OrderLine.objects.filter(offer__in=stock_before)
                          .values("offer").annotate(n=Sum(F("quantity") - F("restocked_quantity")))
                          .values_list("offer", "n"))
    now = dict(Offer.objects.filter(pk__in=stock_before).values_list("pk", "stock"))
    return [
        (offer, stock_before[offer] - now[offer], ordered[offer])
        for offer in sorted(stock_before) if stock_before[offer] - now[offer] != ordered[offer]
    ]
