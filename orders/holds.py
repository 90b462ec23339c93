"""Orders whose card hold would lapse before their goods are delivered.

A hold lasts payments.issuer.HOLD_LIFETIME; once it lapses the payment is
voided (payments.services.release_expired_holds) and an order left waiting
would be paid with no money held. Some time before that, each such order is
settled: captured when its goods have left the seller (or a failed delivery
waits for a decision), else cancelled with a notice to the customer. The
card network offers no fresh hold without the customer's PIN, so there is
no re-authorization to try.
"""

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone

from delivery.models import Delivery
from okryu.db import retry_on_conflict
from okryu.notices.models import Event
from okryu.transitions import InvalidTransition
from orders import refunds
from orders.models import Order
from orders.services import IN_PROGRESS, cancel_order
from payments.gateway import PaymentError, get_gateway
from payments.models import Payment

# Orders are settled this long before their hold lapses; the periodic job
# runs every hour, so each order gets a dozen tries before the hold is gone.
SETTLE_BEFORE_LAPSE = timedelta(hours=12)
# The dispatcher board flags orders this long before they are settled.
FLAG_BEFORE_LAPSE = timedelta(hours=24)
# Deliveries of an order that can still be cancelled: nothing left the seller.
NOT_LEFT = (Delivery.Status.PENDING, Delivery.Status.ASSIGNED, Delivery.Status.CANCELLED)


def lapsing_orders(*, within: timedelta, now: datetime | None = None) -> QuerySet[Order]:
    """Orders under way whose card hold lapses within ``within`` of ``now``."""
    now = now or timezone.now()
    return Order.objects.filter(status__in=IN_PROGRESS, payment__status=Payment.Status.AUTHORIZED,
                                payment__hold_expires_at__lte=now + within)


@dataclass
class Settled:
    """What one ``settle_lapsing_holds`` run did, by order number."""

    captured: list[str] = field(default_factory=list)
    cancelled: list[str] = field(default_factory=list)
    refused: list[str] = field(default_factory=list)  # the network refused the capture: a person must look


def settle_lapsing_holds(*, now: datetime | None = None) -> Settled:
    """Settle every order whose hold lapses within SETTLE_BEFORE_LAPSE;
    safe to run twice at once and to repeat (settle_hold)."""
    now = now or timezone.now()
    settled = Settled()
    for order_id, number in lapsing_orders(within=SETTLE_BEFORE_LAPSE, now=now).order_by("pk").values_list(
            "pk", "number"):
        try:
            outcome = settle_hold(order_id=order_id, now=now)
        except (PaymentError, InvalidTransition):
            settled.refused.append(number)
            continue
        if outcome is not None:
            getattr(settled, outcome).append(number)
    return settled


@retry_on_conflict
@transaction.atomic
def settle_hold(*, order_id: int, now: datetime | None = None) -> str | None:
    """Capture or cancel one order whose hold lapses soon: "captured" when
    a delivery has left the seller or failed (what was not given back
    before is taken), "cancelled" otherwise (cancel_order: the hold voided,
    stock and slot back, the customer told why). None, changing nothing,
    when the order is settled already or its hold is not lapsing: a second
    run waits for the first on the order's locks and then finds it done.
    Raises PaymentError or InvalidTransition when the network refuses."""
    now = now or timezone.now()
    deliveries, order = refunds.lock_order(order_id)
    payment = order.payment
    if (order.status not in IN_PROGRESS or payment is None or payment.status != Payment.Status.AUTHORIZED
            or payment.hold_expires_at > now + SETTLE_BEFORE_LAPSE):
        return None
    if order.is_cancellable and all(d.status in NOT_LEFT for d in deliveries):
        cancel_order(order=order, by=None, notice=Event.HOLD_LAPSED)
        return "cancelled"
    due = order.total - refunds.released_before_capture(order)
    if due:
        get_gateway().capture(payment, due)
    else:
        get_gateway().void(payment, note="nothing left to capture")
    return "captured"
