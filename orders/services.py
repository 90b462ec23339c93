"""Cart and order workflows. Placing an order is one transaction across
catalog (stock), delivery (slot, deliveries) and payments (the hold)."""

import hashlib
import secrets
import uuid
import zlib
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db import connection, transaction
from django.db.models import Exists, F, OuterRef, QuerySet
from django.utils import timezone
from django.views.decorators.debug import sensitive_variables

from catalog import hours
from catalog import services as catalog_services
from catalog.models import Offer
from delivery import booking
from delivery.models import Delivery, TimeSlot
from okryu.db import retry_on_conflict
from okryu.notices.models import Event
from okryu.notices.services import notify
from okryu.transitions import InvalidTransition
from orders import medicine, refunds
from orders.checkout import CheckoutPlan
from orders.models import Address, Cart, CartLine, Order, OrderEvent, OrderLine, Refund
from payments.gateway import PaymentError, get_gateway
from payments.models import Payment

MAX_LINE_QUANTITY = 99
ORDER_NUMBER_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"


class EmptyCart(Exception):
    """There is nothing to order."""


class CartChanged(Exception):
    """The cart is not the one the pay page showed: a line was added,
    removed or changed, or a price moved, since."""


class SlotNotOffered(Exception):
    """The slot chosen is not one the cart may be delivered in now: it has
    started, filled up, its service does not serve the address, or it ends
    too late for the cart's hot food."""


class QuantityTooLarge(Exception):
    """A cart line may hold at most MAX_LINE_QUANTITY units."""


class NotCancellable(Exception):
    """The goods have left the seller, or the order is already closed."""


class LineNotCancellable(Exception):
    """The line's delivery has been picked up (or closed): it can no longer be removed."""


class PaymentNotCapturable(Exception):
    """The order's card hold can no longer be captured: it expired, or staff
    voided it. The goods must not leave the seller."""


# Cart


def add_to_cart(*, cart: Cart, offer: Offer, quantity: int, prescription_number: str = "") -> CartLine:
    """Add units of an offer, on top of any already in the cart; a dish only
    while its kitchen is open (KitchenClosed); a prescription-only medicine
    only with a prescription number (PrescriptionNeeded), which it keeps,
    pending a pharmacist's approval, for as long as the line lives; at most
    MAX_LINE_QUANTITY units in a line (QuantityTooLarge, nothing added).

    ``cart`` need not have been read: with an owner (``Cart(user=...)``) it
    is the account's cart, made on the account's first add; without one, the
    anonymous cart of its id, or a new one when it has none or that cart is
    gone. Afterwards ``cart.pk`` is the cart's and ``cart.units`` the units
    the whole cart holds (the header's count). An ordinary product costs one
    statement; a prescription-only one adds a look at its line."""
    if not offer.is_available:
        raise catalog_services.OfferUnavailable(offer.pk)
    now = timezone.now()
    hours.check_kitchen_open(offer, now=now)
    if not offer.product.prescription_only:
        return _put_line(cart, offer=offer, quantity=quantity, prescription=None, now=now)
    # A prescription made here goes with a refused quantity.
    with transaction.atomic():
        owned = {"cart__user": cart.user_id} if cart.user_id else {"cart_id": cart.pk, "cart__user": None}
        existing = CartLine.objects.filter(**owned, offer=offer).select_related("prescription").first()
        if existing is not None and existing.prescription is not None and not prescription_number:
            prescription = None  # the line keeps its own
        else:
            prescription = medicine.prescription_for(user=cart.user if cart.user_id else None, offer=offer,
                                                     number=prescription_number)
        return _put_line(cart, offer=offer, quantity=quantity, prescription=prescription, now=now)


# The cart an addition goes into, as the first part of PUT_LINE: the
# account's (made if it has none), the anonymous one of that id (no row when
# it is gone), or a new anonymous one. Each touches the cart's updated_at,
# which keeps an anonymous cart from expiring.
CART_OF_OWNER = """INSERT INTO orders_cart (user_id, updated_at) VALUES (%(user)s, %(now)s)
    ON CONFLICT (user_id) DO UPDATE SET updated_at = EXCLUDED.updated_at RETURNING id"""
ANONYMOUS_CART = "UPDATE orders_cart SET updated_at = %(now)s WHERE id = %(cart)s AND user_id IS NULL RETURNING id"
NEW_ANONYMOUS_CART = "INSERT INTO orders_cart (updated_at) VALUES (%(now)s) RETURNING id"
# The line inserted, or its quantity raised while it stays within the
# limit (no line returned otherwise), and the cart's units after that: the
# sum reads the lines as they were before this statement, so the line's own
# new quantity is added to the others'. A new prescription replaces the
# line's, none keeps it. Concurrent adds of one offer queue on the line's
# row and each adds its units to what the one before left.
PUT_LINE = """WITH cart AS ({cart}),
line AS (
    INSERT INTO orders_cartline (cart_id, offer_id, prescription_id, quantity, price_when_added, added_at)
    SELECT cart.id, %(offer)s, %(prescription)s, %(quantity)s, %(price)s, %(now)s FROM cart
    ON CONFLICT (cart_id, offer_id) DO UPDATE
    SET quantity = orders_cartline.quantity + EXCLUDED.quantity,
        prescription_id = COALESCE(EXCLUDED.prescription_id, orders_cartline.prescription_id)
    WHERE orders_cartline.quantity + EXCLUDED.quantity <= %(most)s
    RETURNING id, quantity, prescription_id
)
SELECT cart.id, line.id, line.quantity, line.prescription_id, line.quantity + (
    SELECT COALESCE(SUM(other.quantity), 0) FROM orders_cartline other
    WHERE other.cart_id = cart.id AND other.offer_id <> %(offer)s)
FROM cart LEFT JOIN line ON true"""


def _put_line(cart: Cart, *, offer: Offer, quantity: int, prescription, now: datetime) -> CartLine:
    """add_to_cart's writing, in one statement (PUT_LINE)."""
    params = {"user": cart.user_id, "cart": cart.pk, "offer": offer.pk, "quantity": quantity, "price": offer.price,
              "prescription": prescription.pk if prescription else None, "now": now, "most": MAX_LINE_QUANTITY}
    which = CART_OF_OWNER if cart.user_id else ANONYMOUS_CART if cart.pk else NEW_ANONYMOUS_CART
    with connection.cursor() as cursor:
        cursor.execute(PUT_LINE.format(cart=which), params)
        row = cursor.fetchone()
        if row is None:  # the anonymous cart expired since the session named it
            cursor.execute(PUT_LINE.format(cart=NEW_ANONYMOUS_CART), params)
            row = cursor.fetchone()
    cart.pk, line_id, line_quantity, prescription_id, cart.units = row
    if line_id is None:
        raise QuantityTooLarge()
    return CartLine(pk=line_id, cart=cart, offer=offer, quantity=line_quantity, price_when_added=offer.price,
                    prescription_id=prescription_id)


def set_line_quantity(*, line: CartLine, quantity: int) -> None:
    line.quantity = quantity
    line.save(update_fields=["quantity"])


@retry_on_conflict  # it locks two lines, which a checkout may lock the other way round
@transaction.atomic
def switch_line_offer(*, line: CartLine, offer: Offer) -> None:
    """Buy a cart line's product from another seller: the line moves to
    ``offer`` with its quantity and its prescription (which is for the
    product, not the pharmacy), and into the cart's line of that offer when
    there is one. Raises OfferUnavailable (also for another product's offer)
    and KitchenClosed, changing nothing."""
    line = CartLine.objects.select_for_update().select_related("offer").get(pk=line.pk)
    if offer.product_id != line.offer.product_id or not offer.is_available:
        raise catalog_services.OfferUnavailable(offer.pk)
    if offer.pk == line.offer_id:
        return
    hours.check_kitchen_open(offer, now=timezone.now())
    theirs = CartLine.objects.select_for_update().filter(cart_id=line.cart_id, offer=offer).first()
    if theirs is None:
        CartLine.objects.filter(pk=line.pk).update(offer=offer, price_when_added=offer.price)
        return
    CartLine.objects.filter(pk=theirs.pk).update(
        quantity=min(theirs.quantity + line.quantity, MAX_LINE_QUANTITY),
        prescription=theirs.prescription_id or line.prescription_id)
    line.delete()


@transaction.atomic
def merge_carts(*, anonymous: Cart, user) -> Cart:
    """Move an anonymous cart's lines into the account's cart at login."""
    cart, _ = Cart.objects.get_or_create(user=user)
    for line in anonymous.lines.all():
        existing = cart.lines.filter(offer_id=line.offer_id).first()
        if existing:
            existing.quantity = min(existing.quantity + line.quantity, MAX_LINE_QUANTITY)
            existing.save(update_fields=["quantity"])
        else:
            line.cart = cart
            line.save(update_fields=["cart"])
    anonymous.delete()
    return cart


# Checkout


def new_checkout_token() -> uuid.UUID:
    return uuid.uuid4()


def cart_fingerprint(lines: list[CartLine]) -> str:
    """What the pay page showed of the cart: each line, quantity and price
    (the lines come with their offers). A payment posted from that page pays
    for that cart or nothing, however late it arrives (a retry after the
    customer changed the cart): place_order compares it under its locks."""
    shown = sorted((line.pk, line.offer_id, line.quantity, line.offer.price) for line in lines)
    return hashlib.sha256(repr(shown).encode()).hexdigest()[:32]


def order_for_token(*, user, token: uuid.UUID) -> Order | None:
    """The order a checkout token already made for this customer, if any."""
    try:
        return Order.objects.get(checkout_token=token, user=user)
    except Order.DoesNotExist:
        return None


@retry_on_conflict
@sensitive_variables("pin", "card_number")
def place_order(*, user, cart: Cart, address: Address, shown_cart: str, slot_id: int, card_number: str, pin: str,
                token: uuid.UUID) -> Order:
    """Turn the cart into a paid order, all or nothing: the cart the pay page
    showed (``shown_cart``, its cart_fingerprint), or CartChanged.

    The PIN is checked first, on its own and once, so that a wrong PIN
    counts toward locking the card and no PIN is hashed while the offers are
    locked: the payment takes the check's proof. Then, in one transaction, the steps that follow, each
    a function saying what it guarantees. Any failure (EmptyCart, CartChanged,
    OutOfStock, OfferUnavailable, SlotNotOffered, SlotFull, a PaymentError) leaves nothing
    behind. A token that already made an order
    returns that order.
    """
    gateway = get_gateway()
    pin_check = gateway.verify_pin(card_number=card_number, pin=pin)
    with transaction.atomic():
        existing = _queue_replays(user=user, token=token)
        if existing:
            return existing
        lines, offers = _take_stock(cart)
        if cart_fingerprint(lines) != shown_cart:
            raise CartChanged()
        medicine.check_medicine_rules(user=user, lines=lines, offers=offers, now=timezone.now())
        # Built again rather than taken from the pay page: the offers just
        # locked, with their products and sellers, say what is sold now.
        plan = CheckoutPlan.for_items(
            ((offers[line.offer_id], line.quantity) for line in lines), district=address.district
        )
        slot = _slot_allowed(plan, slot_id=slot_id)
        order = _create_order(user=user, token=token, address=address, slot=slot, plan=plan, lines=lines,
                              offers=offers)
        order = _pay(order, gateway=gateway, card_number=card_number, pin_check=pin_check, token=token, by=user)
        notify(recipient=user, event=Event.ORDER_PAID, obj_key=f"order:{order.number}",
               context={"number": order.number, "total": order.total}, link=order.get_absolute_url())
        booking.create_deliveries(
            order=order, slot=slot, sellers=plan.sellers, hot_food_sellers={k.pk for k in plan.kitchens}
        )
        # Last: every checkout choosing the earliest slot queues on its row
        # from here to the commit, not through the payment (5.6 orders a
        # second with 16 buyers when booked before the order, 8.0 now).
        booking.book_slot(slot_id=slot.pk, count=len(plan.pickups))
        # The lines paid for, locked since _take_stock: one added meanwhile stays in the cart.
        CartLine.objects.filter(pk__in=[line.pk for line in lines]).delete()
    return order


def _queue_replays(*, user, token: uuid.UUID) -> Order | None:
    """Replays of one checkout wait here for each other, until the
    transaction ends; the order the first one made, if any, is theirs."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_xact_lock(%s)", [zlib.crc32(token.bytes)])
    return order_for_token(user=user, token=token)


def _take_stock(cart: Cart) -> tuple[list[CartLine], dict[int, Offer]]:
    """The cart's lines, locked, each with its offer, locked in id order with
    the stock taken (catalog.take_stock): from here on the lines, prices,
    stock and the dishes' freshness cannot change under the order; an add
    to one of these lines waits for the order and makes a new line. Raises
    EmptyCart."""
    lines = list(cart.lines.select_for_update(of=("self",)).select_related("prescription").order_by("offer_id"))
    if not lines:
        raise EmptyCart()
    offers = catalog_services.take_stock(quantities={line.offer_id: line.quantity for line in lines})
    for line in lines:
        line.offer = offers[line.offer_id]
    return lines, offers


def _slot_allowed(plan: CheckoutPlan, *, slot_id: int) -> TimeSlot:
    """The slot, when the plan allows it now (open_slots: room left
    included); raises SlotNotOffered otherwise. Booking it (book_slot)
    checks the room again under the slot's lock."""
    slot = plan.allowed_slot(slot_id)
    if slot is None:
        raise SlotNotOffered()
    return slot


def _create_order(*, user, token: uuid.UUID, address: Address, slot: TimeSlot, plan: CheckoutPlan,
                  lines: list[CartLine], offers: dict[int, Offer]) -> Order:
    """The PLACED order with its lines, snapshotting the address, the fee
    and what each line sold at what price."""
    fee = plan.fee(slot)
    order = Order.objects.create(
        number=_new_order_number(), user=user, checkout_token=token,
        subtotal=plan.subtotal, delivery_fee=fee, total=plan.subtotal + fee,
        recipient_name=address.recipient_name, phone=address.phone, district=address.district,
        district_name=address.district.name, address_line=address.line, service_name=slot.service.name,
    )
    OrderLine.objects.bulk_create([
        OrderLine(
            order=order, offer=offers[line.offer_id], product=offers[line.offer_id].product,
            seller=offers[line.offer_id].seller, product_name=offers[line.offer_id].product.name,
            seller_name=offers[line.offer_id].seller.name, unit_price=offers[line.offer_id].price,
            quantity=line.quantity, prescription=line.prescription,
        )
        for line in lines
    ])
    OrderEvent.objects.create(order=order, to_status=Order.Status.PLACED, by=user)
    return order


@sensitive_variables("pin_check", "card_number")
def _pay(order: Order, *, gateway, card_number: str, pin_check: str, token: uuid.UUID, by) -> Order:
    """Hold the order's total on the card, idempotent on the checkout
    token, and mark the order PAID; a PaymentError holds nothing."""
    payment = gateway.authorize(
        card_number=card_number, pin_check=pin_check, amount=order.total, reference=order.number,
        idempotency_key=f"order:{token}",
    )
    # Inserted in this transaction: no one else can see the row, let alone change it.
    return order.change_status(Order.Status.PAID, by=by, locked=True, fields={"payment": payment})


def _new_order_number() -> str:
    suffix = "".join(secrets.choice(ORDER_NUMBER_ALPHABET) for _ in range(6))
    return f"{timezone.localdate():%y%m%d}-{suffix}"


# After checkout


@retry_on_conflict
@transaction.atomic
def cancel_order(*, order: Order, by, notice: Event = Event.ORDER_CANCELLED, fault: str = "") -> Order:
    """Cancel while nothing has left the seller: the hold is voided (or what
    was captured refunded), the stock returned, the slot freed; the
    customer hears ``notice``. ``fault`` (Delivery.Fault.SELLER) records on
    each delivery's cancellation that its seller cancelled: the seller
    score counts it.

    Locks follow the order the rest of the code takes them in, so that a
    cancel never waits in a cycle: deliveries before their order (as a
    courier's pickup does), offers, then the card, then the slot (as
    checkout does).
    """
    deliveries = list(Delivery.objects.select_for_update().filter(order_id=order.pk).order_by("pk"))
    order = Order.objects.select_for_update(of=("self",)).select_related("payment").get(pk=order.pk)
    # A delivery whose lines the customer all removed is already cancelled.
    deliveries = [d for d in deliveries if d.status != Delivery.Status.CANCELLED]
    if not order.is_cancellable or any(
        d.status not in (Delivery.Status.PENDING, Delivery.Status.ASSIGNED) for d in deliveries
    ):
        raise NotCancellable()
    order = order.change_status(Order.Status.CANCELLED, by=by)
    notify(recipient=order.user, event=notice, obj_key=f"order:{order.number}",
           context={"number": order.number}, link=order.get_absolute_url())
    for delivery in deliveries:
        delivery.cancel(by=by, fault=fault)
    back = {}
    for line in order.lines.all():
        if line.offer_id is not None and line.quantity > line.restocked_quantity:
            back[line.offer_id] = back.get(line.offer_id, 0) + line.quantity - line.restocked_quantity
    catalog_services.return_stock(quantities=back)
    # Every line is given back and its goods are back, as a line removal leaves it.
    order.lines.update(refunded_quantity=F("quantity"), restocked_quantity=F("quantity"))
    Order.objects.filter(pk=order.pk).update(fee_refunded=F("delivery_fee"))
    if order.payment is not None:
        _release_payment(order.payment, key=f"cancel:{order.number}", by=by)
    for delivery in deliveries:
        booking.release_slot(slot_id=delivery.slot_id, count=1)
    return order


# What the customer of a hot-food order hears when the kitchen moves it.
KITCHEN_EVENTS = {Order.Status.PREPARING: Event.ORDER_PREPARING, Order.Status.READY: Event.ORDER_READY}


@transaction.atomic
def move_in_kitchen(*, order: Order, status: str, by, sellers: list[int] | None = None) -> Order:
    """Mark preparing or ready the order's deliveries of ``sellers`` (a
    seller's staff: their own; None, bureau staff: every seller's) that are
    not there yet, and move the order along with its deliveries
    (record_delivery_progress). Raises InvalidTransition, changing nothing,
    when none of them can go there. A customer waiting for hot food is told
    when the order moves; others are not."""
    deliveries, order = refunds.lock_order(order.pk)
    mark = {Order.Status.PREPARING: Delivery.mark_preparing, Order.Status.READY: Delivery.mark_ready}[status]
    moved = 0
    for delivery in deliveries:
        if sellers is not None and delivery.seller_id not in sellers:
            continue
        try:
            mark(delivery, by=by)
        except InvalidTransition:
            continue  # already there, picked up or cancelled
        moved += 1
    if not moved:
        raise InvalidTransition(order, status)
    before = order.status
    order = record_delivery_progress(order_id=order.pk, by=by)
    if order.status != before and order.status in KITCHEN_EVENTS and any(d.is_hot_food for d in deliveries):
        notify(recipient=order.user, event=KITCHEN_EVENTS[order.status], obj_key=f"order:{order.number}",
               context={"number": order.number}, link=order.get_absolute_url())
    return order


def _release_payment(payment: Payment, *, key: str, by) -> None:
    """Give the customer their money back, whatever stage the payment is at."""
    gateway = get_gateway()
    if payment.status == Payment.Status.AUTHORIZED:
        gateway.void(payment)
    elif payment.captured > payment.refunded:
        gateway.refund(payment, payment.captured - payment.refunded, idempotency_key=key, by=by)


BEFORE_PICKUP = (Order.Status.PAID, Order.Status.PREPARING, Order.Status.READY)


DELIVERED_STATUSES = (Order.Status.DELIVERED, Order.Status.PARTLY_DELIVERED)


@transaction.atomic
def record_delivery_progress(*, order_id: int, by) -> Order:
    """Move the order along with its deliveries: preparing and ready as
    their sellers mark them (_kitchen_status), out for delivery at the
    first pickup, with the payment captured for what was not given back
    before (PaymentNotCapturable when the hold cannot be captured any more);
    then, once every delivery has ended, its final state: delivered, partly
    delivered, refunded, or cancelled when nothing was ever captured.

    The caller holds the locks of the order's deliveries (the courier
    actions in delivery.services take them first), so the statuses read here
    stay as they are; the order row is locked once, by the status change,
    which checks the move again under its lock. When staff moved the order
    meanwhile (a refund) so that the move no longer fits, it stays as staff
    left it.
    """
    order = Order.objects.select_related("payment").get(pk=order_id)
    deliveries = list(order.deliveries.all())
    try:
        picked_up = [d.picked_up_at for d in deliveries if d.picked_up_at]
        if order.status in BEFORE_PICKUP and picked_up:
            # Stamped when the first parcel left, which a courier offline pressed earlier than now.
            order = order.change_status(Order.Status.OUT_FOR_DELIVERY, by=by, happened_at=min(picked_up))
            try:
                get_gateway().capture(order.payment, order.total - refunds.released_before_capture(order))
            except (PaymentError, InvalidTransition) as error:
                raise PaymentNotCapturable() from error
        elif order.status in BEFORE_PICKUP:
            kitchen = _kitchen_status(deliveries)
            if kitchen is not None and kitchen in Order.TRANSITIONS[order.status]:
                order = order.change_status(kitchen, by=by)
        final = _final_status(order, deliveries)
        if final is not None and final != order.status:
            # Delivered when the last parcel was, by the time its courier pressed.
            delivered = [d.delivered_at for d in deliveries if d.delivered_at]
            happened_at = max(delivered) if delivered and final in DELIVERED_STATUSES else None
            order = order.change_status(final, by=by, happened_at=happened_at)
    except InvalidTransition:
        order.refresh_from_db()
    return order


def _kitchen_status(deliveries: list[Delivery]) -> str | None:
    """Where the sellers are with an order nothing of which has left:
    ready once every delivery waiting for its courier is ready, preparing
    once one of them is started; None before that. The order only moves
    forward, so a delivery added back by a redelivery does not undo it."""
    waiting = [d for d in deliveries if d.status in (Delivery.Status.PENDING, Delivery.Status.ASSIGNED)]
    if waiting and all(d.ready_at for d in waiting):
        return Order.Status.READY
    if any(d.preparing_at for d in waiting):
        return Order.Status.PREPARING
    return None


def _final_status(order: Order, deliveries: list[Delivery]) -> str | None:
    """Where the order ends once no delivery is under way or waiting for a
    decision (a failed one whose lines were refunded has ended for the
    customer, whenever its goods are back); None before that."""
    ended = (Delivery.Status.DELIVERED, Delivery.Status.RETURNED, Delivery.Status.CANCELLED)
    if not deliveries or not all(
            d.status in ended or (d.status == Delivery.Status.FAILED and d.next_step == Delivery.NextStep.REFUND)
            for d in deliveries):
        return None
    live = [d for d in deliveries if d.status != Delivery.Status.CANCELLED]
    delivered = [d for d in live if d.status == Delivery.Status.DELIVERED]
    if delivered:
        return Order.Status.DELIVERED if len(delivered) == len(live) else Order.Status.PARTLY_DELIVERED
    return Order.Status.REFUNDED if order.payment is not None and order.payment.captured else Order.Status.CANCELLED


@transaction.atomic
def cancel_line(*, order: Order, line_id: int, by) -> Refund:
    """The customer removes a line before its delivery is picked up: the
    units are given back (from the hold, or refunded if another delivery
    already had it captured) and go back into stock; a delivery left with
    nothing to carry is cancelled and its place in the slot freed. Raises
    LineNotCancellable otherwise; the order follows its deliveries."""
    deliveries, order = refunds.lock_order(order.pk)
    line = order.lines.filter(pk=line_id).first()
    if line is None or line.quantity_left == 0:
        raise LineNotCancellable()
    delivery = next((d for d in deliveries if d.seller_id == line.seller_id), None)
    if delivery is None or delivery.status not in (Delivery.Status.PENDING, Delivery.Status.ASSIGNED):
        raise LineNotCancellable()
    refund = refunds.refund_lines(order=order, quantities={line.pk: line.quantity_left},
                                  key=f"cancel-line:{line.pk}", reason="cancelled by the customer", by=by,
                                  restock=True)
    delivery.refresh_from_db()
    if delivery.status != Delivery.Status.CANCELLED and not any(
            other.quantity_left for other in order.lines.all() if other.seller_id == delivery.seller_id):
        delivery.cancel(by=by)
        booking.release_slot(slot_id=delivery.slot_id, count=1)
    record_delivery_progress(order_id=order.pk, by=by)
    return refund


# Housekeeping

# How old a hold without an order must be before it is voided (longer than
# any checkout), and how long an anonymous cart may stay untouched.
ABANDONED_HOLD_GRACE = timedelta(hours=1)
ABANDONED_CART_AGE = timedelta(days=30)
# An order not delivered this long after its delivery slot ended is stuck.
STUCK_AFTER_SLOT = timedelta(hours=2)
IN_PROGRESS = (Order.Status.PAID, Order.Status.PREPARING, Order.Status.READY, Order.Status.OUT_FOR_DELIVERY)


@dataclass
class Expired:
    """What one ``expire_abandoned`` run did and found."""

    voided_holds: list[str]
    deleted_carts: int
    stuck_orders: list[str]


def expire_abandoned(*, hold_grace: timedelta, cart_age: timedelta, now: datetime | None = None) -> Expired:
    """Release what checkouts left behind; safe to run twice at once and to repeat.

    - An authorized payment that no order points at, older than
      ``hold_grace``, is voided: its order never completed (with a network
      adapter whose authorization commits on its own, a worker killed
      between authorize and the order's commit leaves exactly that). The
      grace must exceed the longest checkout, so that a hold whose order is
      still being written is never taken for an orphan.
    - Anonymous carts untouched for ``cart_age`` are deleted.
    - Orders still PLACED (never paid) after ``hold_grace`` are reported,
      not touched: checkout pays in the same transaction that places, so
      they cannot arise here and need a person to look at them.

    Rows are claimed with SKIP LOCKED, each payment in a transaction of its
    own, so two runs share the work instead of waiting or doing it twice.
    """
    now = now or timezone.now()
    gateway = get_gateway()
    voided = []
    while True:
        with transaction.atomic():
            payment = (
                Payment.objects.filter(status=Payment.Status.AUTHORIZED, created_at__lte=now - hold_grace)
                .exclude(pk__in=Order.objects.filter(payment__isnull=False).values("payment_id"))
                .select_for_update(skip_locked=True).order_by("pk").first()
            )
            if payment is None:
                break
            gateway.void(payment, note="no order")
            voided.append(payment.reference)
    deleted = 0
    while True:
        with transaction.atomic():
            batch = list(
                Cart.objects.filter(user=None, updated_at__lte=now - cart_age)
                .select_for_update(skip_locked=True).order_by("pk").values_list("pk", flat=True)[:500]
            )
            if not batch:
                break
            CartLine.objects.filter(cart_id__in=batch).delete()
            deleted += Cart.objects.filter(pk__in=batch).delete()[1].get(Cart._meta.label, 0)
    stuck = list(
        Order.objects.filter(status=Order.Status.PLACED, created_at__lte=now - hold_grace)
        .order_by("pk").values_list("number", flat=True)
    )
    return Expired(voided_holds=voided, deleted_carts=deleted, stuck_orders=stuck)


def stuck_orders(*, now: datetime | None = None) -> QuerySet[Order]:
    """Orders paid and not yet delivered (nor cancelled) although a slot of
    theirs ended more than ``STUCK_AFTER_SLOT`` ago: somebody has to look.
    Only reads; the periodic report and the staff's order list both use it."""
    now = now or timezone.now()
    late = Delivery.objects.filter(order=OuterRef("pk"), slot__ends_at__lte=now - STUCK_AFTER_SLOT)
    return Order.objects.filter(Exists(late), status__in=IN_PROGRESS)
