"""What the order tests share: a checkout token read from the page, a cart
filled straight in the database, and the row counts that a failed checkout
must leave as they were."""

import re

from django.urls import reverse

from catalog.models import Offer
from delivery.models import Delivery, TimeSlot
from orders.cart import cart_lines
from orders.models import Cart, CartLine, Order, OrderEvent, OrderLine
from orders.services import cart_fingerprint
from payments.models import LedgerEntry, LedgerTransaction, Payment
from tests import factories


def checkout_token(response) -> str:
    return re.search(r'name="token" value="([0-9a-f-]+)"', response.content.decode()).group(1)


def shown_cart(response) -> str:
    """The fingerprint of the cart a pay page showed, which its form posts."""
    return re.search(r'name="cart" value="([0-9a-f]*)"', response.content.decode()).group(1)


def fill_cart(user, offers_and_quantities) -> Cart:
    cart, _ = Cart.objects.get_or_create(user=user)
    for offer, quantity in offers_and_quantities:
        CartLine.objects.create(cart=cart, offer=offer, quantity=quantity, price_when_added=offer.price)
    return cart


def many_offers(world, count: int) -> list[Offer]:
    """``count`` offers from the world's two sellers, one product each pair."""
    offers = []
    for _ in range((count + 1) // 2):
        pair = [(world.store, 1000, 50), (world.factory, 900, 50)]
        product = factories.product(category_=world.category, offers=pair)
        offers.extend(product.offers.order_by("pk"))
    return offers[:count]


def snapshot() -> dict:
    """Everything a checkout writes: rows of each table, slot bookings, stock."""
    return {
        "orders": Order.objects.count(),
        "lines": OrderLine.objects.count(),
        "events": OrderEvent.objects.count(),
        "payments": Payment.objects.count(),
        "ledger_transactions": LedgerTransaction.objects.count(),
        "ledger_entries": LedgerEntry.objects.count(),
        "deliveries": Delivery.objects.count(),
        "booked": dict(TimeSlot.objects.values_list("pk", "booked")),
        "stock": dict(Offer.objects.values_list("pk", "stock")),
        "cart_lines": CartLine.objects.count(),
    }


def start_checkout(client, world):
    """Choose the world's address and open the pay page; returns that page."""
    client.post(reverse("orders:checkout"), {"address": world.address.pk})
    return client.get(reverse("orders:checkout_pay"))


def pay(client, token: str, *, slot, card=None, card_number: str = "", pin: str = factories.PIN, **extra):
    """Post the pay form as the page showing the customer's cart as it is now would."""
    cart = Cart.objects.filter(user_id=client.session["_auth_user_id"]).first()
    data = {"token": token, "slot": slot.pk, "pin": pin, "cart": cart_fingerprint(cart_lines(cart)), **extra}
    if card is not None:
        data["card"] = str(card.pk)
    else:
        data.update(card="other", card_number=card_number)
    return client.post(reverse("orders:checkout_pay"), data)
