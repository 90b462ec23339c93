import uuid

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.db.models import Prefetch
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_POST

from catalog import services as catalog_services
from catalog.hours import KitchenClosed
from catalog.models import Offer
from catalog.services import OfferUnavailable, OutOfStock
from delivery import booking
from delivery import services as delivery_services
from delivery.models import Delivery
from okryu.transitions import InvalidTransition
from orders import medicine, services
from orders.cart import (
    cart_to_fill,
    current_cart,
    current_cart_lines,
    lines_to_pay,
    remember_count,
    remember_filled,
)
from orders.checkout import CheckoutPlan
from orders.forms import (
    CART_CHANGED,
    SLOT_UNAVAILABLE,
    AddressForm,
    AddToCartForm,
    CartLineForm,
    ChooseAddressForm,
    PaymentForm,
    RedeliveryForm,
    ReviewForm,
    SwitchSellerForm,
)
from orders.models import Address, CartLine, Order, OrderLine
from payments.gateway import PaymentError, WrongPin

SESSION_ADDRESS_ID = "checkout_address_id"
# New times offered for a failed delivery: the next ones, enough for a day or two.
REDELIVERY_CHOICES = 20


@never_cache
def cart(request: HttpRequest) -> HttpResponse:
    lines = current_cart_lines(request)
    return render(request, "orders/cart.html", {
        "lines": lines,
        "subtotal": sum(line.line_total for line in lines if not line.withdrawn),
        "can_checkout": bool(lines) and not any(line.withdrawn or line.short or line.unapproved for line in lines),
    })


@require_POST
def add_to_cart(request: HttpRequest) -> HttpResponse:
    form = AddToCartForm(request.POST)
    if not form.is_valid():
        for error in form.errors.get("quantity", []) or [_("That item cannot be added.")]:
            messages.error(request, error)
        return _back(request)
    try:
        offer = Offer.objects.select_related("product", "seller").get(pk=form.cleaned_data["offer"])
    except Offer.DoesNotExist:
        messages.error(request, _("That offer does not exist."))
        return _back(request)
    cart = cart_to_fill(request)
    try:
        services.add_to_cart(cart=cart, offer=offer, quantity=form.cleaned_data["quantity"],
                             prescription_number=form.cleaned_data["prescription"])
    except OfferUnavailable:
        messages.error(request, _("%(product)s is no longer sold by %(seller)s.") % {
            "product": offer.product.name, "seller": offer.seller.name})
        return _back(request)
    except services.QuantityTooLarge:
        messages.error(request, _("At most %(limit)s of one item at a time.") % {"limit": services.MAX_LINE_QUANTITY})
        return _back(request)
    except medicine.PrescriptionNeeded:
        reason = (_("%(product)s is sold only against a prescription: enter its number beside the price.")
                  if request.user.is_authenticated else
                  _("%(product)s is sold only against a prescription: log in, then enter its number."))
        return render(request, "orders/add_refused.html", {
            "offer": offer, "reason": reason % {"product": offer.product.name}}, status=400)
    except KitchenClosed as closed:
        return render(request, "orders/add_refused.html", {
            "offer": offer, "reason": _kitchen_closed_message(offer, closed.opens_at)}, status=400)
    remember_filled(request, cart)
    messages.success(request, _("%(product)s added to the cart.") % {"product": offer.product.name})
    return redirect("orders:cart")


@require_POST
def update_line(request: HttpRequest, line_id: int) -> HttpResponse:
    cart = current_cart(request)
    # Without a cart, cart=None matches no line: someone else's line is a 404.
    line = get_object_or_404(CartLine, pk=line_id, cart=cart)
    form = CartLineForm(request.POST)
    if "remove" in request.POST or (form.is_valid() and form.cleaned_data["quantity"] == 0):
        line.delete()
        messages.success(request, _("Removed from the cart."))
    elif not form.is_valid():
        for error in form.errors["quantity"]:
            messages.error(request, error)
    else:
        services.set_line_quantity(line=line, quantity=form.cleaned_data["quantity"])
    remember_count(request, cart)
    return redirect("orders:cart")


@require_POST
def switch_line(request: HttpRequest, line_id: int) -> HttpResponse:
    """The cart's "buy it from them instead": the line to a cheaper seller."""
    line = get_object_or_404(CartLine.objects.select_related("offer__product"), pk=line_id,
                             cart=current_cart(request))
    form = SwitchSellerForm(request.POST)
    offer = form.is_valid() and Offer.objects.select_related("product", "seller").filter(
        pk=form.cleaned_data["offer"]).first()
    try:
        if not offer:
            raise OfferUnavailable(None)
        services.switch_line_offer(line=line, offer=offer)
    except (OfferUnavailable, KitchenClosed):
        messages.error(request, _("%(product)s cannot be bought from that seller now.") % {
            "product": line.offer.product.name})
        return redirect("orders:cart")
    messages.success(request, _("%(product)s is now bought from %(seller)s.") % {
        "product": offer.product.name, "seller": offer.seller.name})
    return redirect("orders:cart")


@never_cache
@login_required
def checkout(request: HttpRequest) -> HttpResponse:
    """Step one: where to deliver."""
    cart = current_cart(request)
    if cart is None or not cart.lines.exists():
        messages.error(request, _("Your cart is empty."))
        return redirect("orders:cart")
    choose = ChooseAddressForm(request.POST if "address" in request.POST else None, user=request.user)
    # A new address starts from the account's own name and phone.
    new = AddressForm(request.POST if "address" not in request.POST and request.method == "POST" else None,
                      initial={"recipient_name": request.user.get_full_name(), "phone": request.user.phone})
    if request.method == "POST":
        if "address" in request.POST and choose.is_valid():
            request.session[SESSION_ADDRESS_ID] = choose.cleaned_data["address"].pk
            return redirect("orders:checkout_pay")
        if "address" not in request.POST and new.is_valid():
            request.session[SESSION_ADDRESS_ID] = new.save_for(request.user).pk
            return redirect("orders:checkout_pay")
    return render(request, "orders/checkout_address.html", {
        "choose": choose, "new": new, "addresses": choose.fields["address"].queryset,
    }, status=400 if request.method == "POST" else 200)


@sensitive_post_parameters("pin", "card_number")
@never_cache
@login_required
def checkout_pay(request: HttpRequest) -> HttpResponse:
    """Step two: time slot, review and payment."""
    cart = current_cart(request)
    address = Address.objects.select_related("district").filter(
        pk=request.session.get(SESSION_ADDRESS_ID), user=request.user
    ).first()
    form = PaymentForm(request.POST or None, cards=request.user.cards.filter(status="active"),
                       initial={"token": services.new_checkout_token()})
    paying = request.method == "POST" and cart is not None and address is not None and form.is_valid()
    if request.method == "POST" and not paying:
        # A double click, back and resubmit, or a retry after the answer was
        # lost: the first submit's order. Asked after reading the cart and
        # the address, which that submit empties and forgets when it
        # commits, so a replay that finds them gone also finds the order. A
        # submit that can pay asks place_order instead, under its lock.
        replayed = _order_for_posted_token(request)
        if replayed is not None:
            return redirect(replayed)
    if paying:
        # The cart's lines are read by place_order alone, locked: it pays for
        # the cart the page showed or refuses (CartChanged).
        try:
            order = services.place_order(
                user=request.user, cart=cart, address=address, shown_cart=form.cleaned_data["cart"],
                slot_id=form.cleaned_data["slot"], card_number=form.cleaned_data["card_number"],
                pin=form.cleaned_data["pin"], token=form.cleaned_data["token"],
            )
        except services.CartChanged:
            form.add_error(None, ValidationError(CART_CHANGED, code="cart_changed"))
        except PaymentError as error:
            form.add_error("pin" if isinstance(error, WrongPin) else None, str(error.message))
        except services.EmptyCart:
            messages.error(request, _("Your cart is empty."))
            return redirect("orders:cart")
        except OutOfStock as error:
            messages.error(request, _("Only %(count)s of %(product)s are left.") % {
                "count": error.available, "product": error.offer.product.name})
            return redirect("orders:cart")
        except OfferUnavailable:
            messages.error(request, _("An item in your cart is no longer sold. Remove it to continue."))
            return redirect("orders:cart")
        except services.SlotNotOffered:
            form.add_error("slot", ValidationError(SLOT_UNAVAILABLE, code="unavailable"))
        except booking.SlotFull:
            form.add_error("slot", _("That delivery time has just filled up. Choose another."))
        except medicine.PrescriptionNotApproved as error:
            form.add_error(None, _("A pharmacist has not approved the prescription for %(product)s yet: it can be "
                                   "paid for once it is approved.") % {"product": error.line.offer.product.name})
        except medicine.LimitReached as error:
            form.add_error(None, _(
                "%(product)s is limited to %(limit)s per customer in %(days)s days, from all sellers together; "
                "you have bought %(bought)s, so at most %(left)s more now.") % {
                "product": error.product.name, "limit": error.product.limit_units,
                "days": error.product.limit_days, "bought": error.bought, "left": error.left})
        else:
            request.session.pop(SESSION_ADDRESS_ID, None)
            remember_count(request, None)
            messages.success(request, _("Thank you. Your order %(number)s is placed and paid.") % {
                "number": order.number})
            return redirect(order)
    # Read only to show the page: paying checks the cart and the slot in place_order.
    lines = lines_to_pay(cart)
    if not lines:
        messages.error(request, _("Your cart is empty."))
        return redirect("orders:cart")
    if address is None:
        return redirect("orders:checkout")
    plan = CheckoutPlan.for_items(((line.offer, line.quantity) for line in lines), district=address.district)
    slots = plan.slots_on_offer()
    status = 409 if request.method == "POST" and form.errors else 200
    chosen = next((slot for slot in slots if slot.pk == getattr(form, "cleaned_data", {}).get("slot")), None)
    fee = (chosen or slots[0]).fee if slots else 0
    return render(request, "orders/checkout_pay.html", {
        "form": form, "lines": lines, "shown_cart": services.cart_fingerprint(lines), "address": address,
        "slots": slots, "subtotal": plan.subtotal, "fee": fee, "total": plan.subtotal + fee,
    }, status=status)


@never_cache
@login_required
def order_list(request: HttpRequest) -> HttpResponse:
    orders = Order.objects.filter(user=request.user)[:50]
    return render(request, "orders/order_list.html", {"orders": orders})


@never_cache
@login_required
def order_detail(request: HttpRequest, number: str) -> HttpResponse:
    return _order_page(request, number)


@require_POST
@login_required
def review_line(request: HttpRequest, number: str, line_id: int) -> HttpResponse:
    """Review one delivered line of the customer's own order; catalog takes
    it from there (one review per line, ratings updated)."""
    line = get_object_or_404(
        OrderLine.objects.select_related("order", "product", "seller"),
        pk=line_id, order__number=number, order__user=request.user,
    )
    deliveries = {delivery.seller_id: delivery for delivery in line.order.deliveries.filter(seller_id=line.seller_id)}
    if not _reviewable(line, line.order, deliveries):
        messages.error(request, _("An item can be reviewed once its order has been delivered."))
        return _order_page(request, number, status=409)
    form = ReviewForm(request.POST, prefix=f"review-{line.pk}")
    if not form.is_valid():
        return _order_page(request, number, bound=(line.pk, form), status=400)
    try:
        catalog_services.submit_review(
            author=request.user, product=line.product, seller=line.seller, stars=form.cleaned_data["stars"],
            text=form.cleaned_data["text"], purchase_key=line.review_key,
        )
    except catalog_services.AlreadyReviewed:
        messages.error(request, _("You have already reviewed this item."))
        return _order_page(request, number, status=409)
    messages.success(request, _("Thank you for reviewing %(product)s.") % {"product": line.product_name})
    return redirect(line.order)


@never_cache
@login_required
def receipt(request: HttpRequest, number: str) -> HttpResponse:
    order = get_object_or_404(
        Order.objects.select_related("payment__card").prefetch_related("lines", "refunds"), number=number,
        user=request.user
    )
    return render(request, "orders/receipt.html", {"order": order})


@require_POST
@login_required
def cancel_line(request: HttpRequest, number: str, line_id: int) -> HttpResponse:
    """Remove one line of a paid order until its delivery is picked up."""
    order = get_object_or_404(Order, number=number, user=request.user)
    get_object_or_404(OrderLine, pk=line_id, order=order)
    try:
        services.cancel_line(order=order, line_id=line_id, by=request.user)
    except services.LineNotCancellable:
        messages.error(request, _("That item can no longer be removed: it has left the seller."))
        return _order_page(request, number, status=409)
    messages.success(request, _("The item is removed and its payment given back."))
    return redirect(order)


def _customer_delivery(request: HttpRequest, number: str, delivery_id: int) -> Delivery:
    return get_object_or_404(Delivery.objects.select_related("order", "slot", "district"), pk=delivery_id,
                             order__number=number, order__user=request.user)


@require_POST
@login_required
def redeliver(request: HttpRequest, number: str, delivery_id: int) -> HttpResponse:
    """The customer picks a new slot for a failed delivery to redeliver."""
    delivery = _customer_delivery(request, number, delivery_id)
    slots = delivery_services.redelivery_slots(delivery=delivery)[:REDELIVERY_CHOICES]
    form = RedeliveryForm(request.POST, slots=slots)
    if not form.is_valid():
        messages.error(request, form.errors["slot"][0])
        return _order_page(request, number, status=400)
    try:
        delivery_services.reslot(delivery=delivery, slot_id=form.cleaned_data["slot"], by=request.user)
    except booking.SlotFull:
        messages.error(request, _("That delivery time has just filled up. Choose another."))
        return _order_page(request, number, status=409)
    except InvalidTransition:
        messages.error(request, _("This delivery is not waiting for a new time any more."))
        return _order_page(request, number, status=409)
    messages.success(request, _("It will be delivered again at the time you chose."))
    return redirect(delivery.order)


@require_POST
@login_required
def refund_instead(request: HttpRequest, number: str, delivery_id: int) -> HttpResponse:
    """The customer would rather have the money back than wait for a redelivery."""
    delivery = _customer_delivery(request, number, delivery_id)
    try:
        delivery_services.refund_instead(delivery=delivery, by=request.user)
    except InvalidTransition:
        messages.error(request, _("This delivery is not waiting for a new time any more."))
        return _order_page(request, number, status=409)
    messages.success(request, _("The items of this delivery are refunded to your e-card."))
    return redirect(delivery.order)


@require_POST
@login_required
def cancel(request: HttpRequest, number: str) -> HttpResponse:
    order = get_object_or_404(Order, number=number, user=request.user)
    try:
        services.cancel_order(order=order, by=request.user)
    except services.NotCancellable:
        messages.error(request, _("This order can no longer be cancelled: it has left the seller."))
    else:
        messages.success(request, _("Order %(number)s is cancelled and the payment released.") % {
            "number": order.number})
    return redirect(order)


def _order_for_posted_token(request: HttpRequest) -> Order | None:
    try:
        token = uuid.UUID(request.POST.get("token", ""))
    except ValueError:
        return None
    return services.order_for_token(user=request.user, token=token)


def _order_page(request: HttpRequest, number: str, *, bound=None, status: int = 200) -> HttpResponse:
    """The customer's order: each delivery with what became of it (a failed
    one to redeliver offers its new times), each line with what was given
    back, a review form on each delivered line not yet reviewed and a
    remove button on each line not yet picked up; ``bound`` is a (line id,
    form) pair that failed to save."""
    order = get_object_or_404(
        Order.objects.prefetch_related(
            Prefetch("lines", queryset=OrderLine.objects.select_related("prescription")), "events",
            Prefetch("deliveries", queryset=Delivery.objects.select_related("seller", "slot")), "refunds",
        ),
        number=number, user=request.user,
    )
    deliveries = {delivery.seller_id: delivery for delivery in order.deliveries.all()}
    for delivery in deliveries.values():
        if delivery.status == Delivery.Status.FAILED and delivery.next_step == Delivery.NextStep.REDELIVER:
            delivery.redelivery_form = RedeliveryForm(
                slots=delivery_services.redelivery_slots(delivery=delivery)[:REDELIVERY_CHOICES])
    removable = (Delivery.Status.PENDING, Delivery.Status.ASSIGNED)
    delivered = [line for line in order.lines.all() if _reviewable(line, order, deliveries)]
    reviewed = catalog_services.reviewed_purchases(keys=[line.review_key for line in delivered]) if delivered else ()
    for line in order.lines.all():
        line.removable = (order.status in services.BEFORE_PICKUP and line.quantity_left
                          and getattr(deliveries.get(line.seller_id), "status", None) in removable)
    for line in delivered:
        if line.review_key not in reviewed:
            line.review_form = bound[1] if bound and bound[0] == line.pk else ReviewForm(prefix=f"review-{line.pk}")
    return render(request, "orders/order_detail.html", {"order": order}, status=status)


def _reviewable(line: OrderLine, order: Order, deliveries: dict) -> bool:
    """Whether a line may be reviewed: something of it was kept, and it
    reached the customer (the whole order was delivered, or this seller's
    delivery was, whatever became of the others)."""
    delivered = order.status == Order.Status.DELIVERED or (
        getattr(deliveries.get(line.seller_id), "status", None) == Delivery.Status.DELIVERED)
    return bool(line.product_id and line.quantity_left and delivered)


def _kitchen_closed_message(offer: Offer, opens_at) -> str:
    names = {"seller": offer.seller.name, "product": offer.product.name}
    if opens_at is None:
        return _("%(seller)s's kitchen is closed for now: %(product)s cannot be ordered.") % names
    opens_at = timezone.localtime(opens_at)
    if opens_at.date() == timezone.localdate():
        return _("%(seller)s's kitchen is closed: %(product)s can be ordered from %(time)s.") % {
            **names, "time": date_format(opens_at, "H:i")}
    return _("%(seller)s's kitchen is closed: %(product)s can be ordered from %(weekday)s %(day)s at %(time)s.") % {
        **names, "weekday": date_format(opens_at, "l"), "day": date_format(opens_at, "SHORT_DATE_FORMAT"),
        "time": date_format(opens_at, "H:i")}


def _back(request: HttpRequest) -> HttpResponse:
    """Back to the page the form was on, when that page is ours."""
    target = request.POST.get("next", "")
    if url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
        # Not redirect(): it would take a bare word such as "0" for a view name and fail.
        return HttpResponseRedirect(target)
    return redirect("orders:cart")
