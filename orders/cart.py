"""The current request's cart, and what the cart page shows about each line."""

from catalog.models import Offer
from orders import services
from orders.models import Cart, CartLine

SESSION_CART_ID = "cart_id"
SESSION_CART_COUNT = "cart_count"


def current_cart(request, *, create: bool = False) -> Cart | None:
    """The account's cart (taking over the session's cart after login), or
    the session's cart for an anonymous visitor."""
    anonymous_id = request.session.get(SESSION_CART_ID)
    if request.user.is_authenticated:
        if anonymous_id is not None:
            anonymous = Cart.objects.filter(pk=anonymous_id, user=None).first()
            del request.session[SESSION_CART_ID]
            if anonymous is not None:
                cart = services.merge_carts(anonymous=anonymous, user=request.user)
                remember_count(request, cart)
                return cart
        try:
            return Cart.objects.get(user=request.user)
        except Cart.DoesNotExist:
            return Cart.objects.get_or_create(user=request.user)[0] if create else None
    cart = Cart.objects.filter(pk=anonymous_id, user=None).first() if anonymous_id else None
    if cart is None and create:
        cart = Cart.objects.create()
        request.session[SESSION_CART_ID] = cart.pk
    return cart


def cart_to_fill(request) -> Cart:
    """The cart add_to_cart fills, without reading it: the account's or the
    session's anonymous one (a new one for none). An anonymous cart left in
    the session of someone who logged in is merged into theirs first."""
    if request.user.is_authenticated:
        if SESSION_CART_ID in request.session:
            return current_cart(request, create=True)
        return Cart(user=request.user)
    return Cart(pk=request.session.get(SESSION_CART_ID))


def remember_filled(request, cart: Cart) -> None:
    """Keep what add_to_cart left in ``cart``: an anonymous cart's id, and
    the header's count."""
    if cart.user_id is None:
        request.session[SESSION_CART_ID] = cart.pk
    request.session[SESSION_CART_COUNT] = cart.units


def remember_count(request, cart: Cart | None) -> None:
    """Keep the header's item count in the session, so pages need no query for it."""
    count = sum(cart.lines.values_list("quantity", flat=True)) if cart else 0
    request.session[SESSION_CART_COUNT] = count


def current_cart_lines(request) -> list[CartLine]:
    """cart_lines of the current cart, read through the lines alone (no
    query for the cart's own row), but for a merge after login."""
    if not request.user.is_authenticated:
        anonymous_id = request.session.get(SESSION_CART_ID)
        return _marked_lines(CartLine.objects.filter(cart_id=anonymous_id, cart__user=None)) if anonymous_id else []
    if SESSION_CART_ID in request.session:
        return cart_lines(current_cart(request))
    return _marked_lines(CartLine.objects.filter(cart__user=request.user))


def lines_to_pay(cart: Cart | None) -> list[CartLine]:
    """The lines the pay page lists and its fingerprint covers, with their
    offers, products and sellers and each ``line_total``: one query, none
    of the cart page's marks (place_order checks what they warn of)."""
    if cart is None:
        return []
    lines = list(cart.lines.select_related("offer__product", "offer__seller").order_by("offer__seller__name_ko", "id"))
    for line in lines:
        line.line_total = line.offer.price * line.quantity
    return lines


def cart_lines(cart: Cart | None) -> list[CartLine]:
    """The lines with their offers, each marked with what changed since it was
    added: ``price_changed``, ``short`` (stock below the quantity),
    ``withdrawn``, ``cheaper`` (a cheaper seller of the same product) and
    ``unapproved`` (a prescription-only medicine whose prescription no
    pharmacist approved yet)."""
    return _marked_lines(cart.lines.all()) if cart is not None else []


def _marked_lines(lines_of_cart) -> list[CartLine]:
    """cart_lines of a query of one cart's lines: two queries, the lines and
    the cheapest offer of each of their products."""
    lines = list(lines_of_cart.select_related("offer__product", "offer__seller", "prescription")
                 .order_by("offer__seller__name_ko", "id"))
    if not lines:
        return []
    # One per product: its cheapest offer on sale (the lowest id of equals).
    cheapest = {
        offer.product_id: offer
        for offer in Offer.objects.filter(
            product_id__in={line.offer.product_id for line in lines},
            is_active=True, seller__is_active=True, stock__gt=0,
        ).select_related("seller").order_by("product_id", "price", "id").distinct("product_id")
    }
    for line in lines:
        offer = line.offer
        line.withdrawn = not (offer.is_active and offer.seller.is_active and offer.product.is_active)
        line.short = not line.withdrawn and offer.stock < line.quantity
        line.price_changed = offer.price != line.price_when_added
        line.line_total = offer.price * line.quantity
        line.unapproved = offer.product.prescription_only and not (line.prescription and line.prescription.is_approved)
        best = cheapest.get(offer.product_id)
        line.cheaper = best if best is not None and best.price < offer.price else None
    return lines
