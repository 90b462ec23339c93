"""Money back by line: refunds from the admin, a line the customer removes
before pickup, and the lines of a failed delivery. Each refund is a Refund
row on its own key, so a replay (a double submit, a retried job) gives
back nothing twice; the order's lines count what was given back and what
went back into stock, and the database keeps both within what was sold.

Locks follow the order the courier steps take: the order's deliveries in id
order, then the order, then its lines, then offers (stock) and the payment.
"""

from django.db import transaction
from django.db.models import Sum
from django.utils.translation import gettext_lazy as _

from catalog import services as catalog_services
from delivery import booking
from delivery.models import Delivery
from okryu.notices.models import Event
from okryu.notices.services import notify
from orders.models import Order, OrderLine, Refund, RefundLine
from payments.gateway import get_gateway
from payments.models import Payment


class RefundRefused(Exception):
    """The refund does not fit what is left; nothing was changed.
    ``message`` is fit for the user."""

    message = _("That cannot be refunded.")


class NothingToRefund(RefundRefused):
    message = _("Choose at least one line and a quantity to refund.")


class QuantityOutOfRange(RefundRefused):
    message = _("Refund at least one unit and no more than is left of the line.")


class NotPaid(RefundRefused):
    message = _("This order has no payment to refund.")


def lock_order(order_id: int) -> tuple[list[Delivery], Order]:
    """The order's deliveries, then the order, locked (see the module's lock order)."""
    deliveries = list(Delivery.objects.select_for_update().filter(order_id=order_id).order_by("pk"))
    order = Order.objects.select_for_update(of=("self",)).select_related("payment").get(pk=order_id)
    return deliveries, order


def released_before_capture(order: Order) -> int:
    """Won of the order's hold that is not to be captured."""
    return order.refunds.filter(before_capture=True).aggregate(total=Sum("amount", default=0))["total"]


@transaction.atomic
def refund_lines(*, order: Order, quantities: dict[int, int], key: str, reason: str, by,
                 restock: bool = False) -> Refund:
    """Give back ``quantities`` (line id → units) of the order's lines, and
    the delivery fee once every line is given back and nothing was
    delivered. After capture the money goes back to the card; before it,
    that part of the hold will not be captured (all of it given back: the
    hold is voided). ``restock`` puts the units back into their offers.

    A key that already refunded returns that refund and moves nothing.
    Raises NotPaid, NothingToRefund or QuantityOutOfRange, changing nothing.
    """
    deliveries, order = lock_order(order.pk)
    earlier = Refund.objects.filter(key=key).first()
    if earlier is not None:
        return earlier
    payment = order.payment
    if payment is None:
        raise NotPaid()
    lines = {line.pk: line for line in order.lines.select_for_update().order_by("pk")}
    quantities = {line_id: quantity for line_id, quantity in quantities.items() if quantity}
    if not quantities:
        raise NothingToRefund()
    for line_id, quantity in quantities.items():
        line = lines.get(line_id)
        if line is None or not 0 < quantity <= line.quantity_left:
            raise QuantityOutOfRange()
    for line_id, quantity in quantities.items():
        lines[line_id].refunded_quantity += quantity
    OrderLine.objects.bulk_update([lines[pk] for pk in quantities], ["refunded_quantity"])
    amount = sum(lines[pk].unit_price * quantity for pk, quantity in quantities.items())
    fee = 0
    if all(line.quantity_left == 0 for line in lines.values()) and not any(
            d.status == Delivery.Status.DELIVERED for d in deliveries):
        fee = order.delivery_fee - order.fee_refunded
        Order.objects.filter(pk=order.pk).update(fee_refunded=order.delivery_fee)
    # A voided hold (it lapsed) has nothing left to give back either.
    before_capture = payment.status in (Payment.Status.AUTHORIZED, Payment.Status.VOIDED)
    refund = Refund.objects.create(order=order, key=key, amount=amount + fee, fee=fee, before_capture=before_capture,
                                   reason=reason[:200], by=by)
    RefundLine.objects.bulk_create(
        [RefundLine(refund=refund, line=lines[pk], quantity=quantity) for pk, quantity in quantities.items()])
    if restock:
        restock_lines(order=order, quantities=quantities)
    gateway = get_gateway()
    if not before_capture:
        payment = gateway.refund(payment, refund.amount, idempotency_key=f"refund:{key}", by=by)
        notify(recipient=order.user, event=Event.REFUND_POSTED, obj_key=f"refund:{key}",
               context={"number": order.number, "amount": refund.amount}, link=order.get_absolute_url())
        if payment.refunded == payment.captured and Order.Status.REFUNDED in Order.TRANSITIONS.get(order.status, ()):
            order.change_status(Order.Status.REFUNDED, by=by, note=reason[:200])
    elif payment.status == Payment.Status.AUTHORIZED and released_before_capture(order) == order.total:
        # Nothing is left to sell: the hold is voided and what waits is
        # cancelled, the card before the slot places (as checkout takes them).
        gateway.void(payment, by=by, note=reason[:200])
        for delivery in deliveries:
            if delivery.status in (Delivery.Status.PENDING, Delivery.Status.ASSIGNED):
                delivery.cancel(by=by)
                booking.release_slot(slot_id=delivery.slot_id, count=1)
        if Order.Status.CANCELLED in Order.TRANSITIONS.get(order.status, ()):
            order.change_status(Order.Status.CANCELLED, by=by, note=reason[:200])
    return refund


def restock_lines(*, order: Order, quantities: dict[int, int]) -> None:
    """Put refunded units of the order's lines back into their offers (the
    caller holds the lines' locks); units already back are not counted twice."""
    lines = {line.pk: line for line in order.lines.filter(pk__in=quantities)}
    back = {}
    for line_id, quantity in quantities.items():
        line = lines[line_id]
        quantity = min(quantity, line.refunded_quantity - line.restocked_quantity)
        if quantity <= 0:
            continue
        line.restocked_quantity += quantity
        if line.offer_id is not None:
            back[line.offer_id] = back.get(line.offer_id, 0) + quantity
    OrderLine.objects.bulk_update(list(lines.values()), ["restocked_quantity"])
    RefundLine.objects.filter(line_id__in=quantities, refund__order=order).update(restocked=True)
    if back:
        catalog_services.return_stock(quantities=back)


@transaction.atomic
def refund_delivery(*, delivery: Delivery, reason: str, by) -> Refund | None:
    """Give back what is left of the lines a delivery carries, once (the
    key is the delivery's); None when nothing is left."""
    lines = [line for line in delivery.order.lines.all() if line.seller_id == delivery.seller_id]
    quantities = {line.pk: line.quantity_left for line in lines if line.quantity_left}
    if not quantities:
        return None
    return refund_lines(order=delivery.order, quantities=quantities, key=f"delivery:{delivery.pk}", reason=reason,
                        by=by)


@transaction.atomic
def restock_delivery(*, delivery: Delivery) -> None:
    """The delivery's goods are back at the seller and can be sold again."""
    lines = [line for line in delivery.order.lines.select_for_update() if line.seller_id == delivery.seller_id]
    restock_lines(order=delivery.order, quantities={line.pk: line.quantity for line in lines})
