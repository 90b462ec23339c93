"""The current request's cart, and what the cart page shows about each line."""

import hashlib

from django.db.models import Min

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
        cart = Cart.objects.filter(user=request.user).first()
        if cart is None and create:
            cart, _ = Cart.objects.get_or_create(user=request.user)
        return cart
    cart = Cart.objects.filter(pk=anonymous_id, user=None).first() if anonymous_id else None
    if cart is None and create:
        cart = Cart.objects.create()
        request.session[SESSION_CART_ID] = cart.pk
    return cart


def remember_count(request, cart: Cart | None) -> None:
    """Keep the header's item count in the session, so pages need no query for it."""
    count = sum(cart.lines.values_list("quantity", flat=True)) if cart else 0
    request.session[SESSION_CART_COUNT] = count


def cart_fingerprint(lines: list[CartLine]) -> str:
    """What the pay page showed of the cart: each line, quantity and price.
    A payment posted from that page pays for that cart or nothing, however
    late it arrives (a retry after the customer changed the cart)."""
    shown = sorted((line.pk, line.offer_id, line.quantity, line.offer.price) for line in lines)
    return hashlib.sha256(repr(shown).encode()).hexdigest()[:32]


def cart_lines(cart: Cart | None) -> list[CartLine]:
    """The lines with their offers, each marked with what changed since it was
    added: ``price_changed``, ``short`` (stock below the quantity),
    ``withdrawn``, ``cheaper`` (a cheaper seller of the same product) and
    ``unapproved`` (a prescription-only medicine whose prescription no
    pharmacist approved yet)."""
    if cart is None:
        return []
    lines = list(cart.lines.select_related("offer__product", "offer__seller", "prescription")
                 .order_by("offer__seller__name_ko", "id"))
    cheapest = dict(
        Offer.objects.filter(
            product_id__in={line.offer.product_id for line in lines},
            is_active=True, seller__is_active=True, stock__gt=0,
        ).order_by().values_list("product_id").annotate(price=Min("price"))
    )
    cheaper_offers = {
        (offer.product_id, offer.price): offer
        for offer in Offer.objects.filter(
            product_id__in=cheapest, is_active=True, seller__is_active=True, stock__gt=0,
            price__in=set(cheapest.values()),
        ).select_related("seller")
    }
    for line in lines:
        offer = line.offer
        line.withdrawn = not (offer.is_active and offer.seller.is_active and offer.product.is_active)
        line.short = not line.withdrawn and offer.stock < line.quantity
        line.price_changed = offer.price != line.price_when_added
        line.line_total = offer.price * line.quantity
        line.unapproved = offer.product.prescription_only and not (line.prescription and line.prescription.is_approved)
        best = cheapest.get(offer.product_id)
        line.cheaper = (
            cheaper_offers.get((offer.product_id, best)) if best is not None and best < offer.price else None
        )
    return lines
