"""The rules of medicine sales: a prescription-only medicine goes into the
cart only with a prescription number, and is paid for only once a
pharmacist approved it; a limited medicine is sold to one customer at most
``limit_units`` units in ``limit_days`` days, counted over every seller."""

from datetime import datetime, timedelta

from django.contrib.auth import get_user_model
from django.db.models import Sum

from catalog.models import Offer, Product
from orders.models import CartLine, Order, OrderLine, Prescription


class PrescriptionNeeded(Exception):
    """A prescription-only medicine was added without a prescription number
    (or by a visitor who is not logged in, who cannot be given one)."""


class PrescriptionNotApproved(Exception):
    """A prescription-only medicine in the cart has no approved prescription."""

    def __init__(self, line: CartLine):
        super().__init__(f"cart line {line.pk}: prescription not approved")
        self.line = line


class LimitReached(Exception):
    """Buying this would take the customer over a limited medicine's cap."""

    def __init__(self, product: Product, *, bought: int):
        super().__init__(f"product {product.pk}: {bought} bought, limit {product.limit_units}")
        self.product = product
        self.bought = bought

    @property
    def left(self) -> int:
        return max(self.product.limit_units - self.bought, 0)


def prescription_for(*, user, offer: Offer, number: str) -> Prescription | None:
    """The prescription a cart line of ``offer`` needs: None for a medicine
    sold without one; a new pending one for the number given; raises
    PrescriptionNeeded without a number or a logged-in customer."""
    if not offer.product.prescription_only:
        return None
    if user is None or not number:
        raise PrescriptionNeeded()
    return Prescription.objects.create(user=user, product=offer.product, number=number)


def check_medicine_rules(*, user, lines: list[CartLine], offers: dict[int, Offer], now: datetime) -> None:
    """Raise PrescriptionNotApproved or LimitReached for a cart about to be
    paid; in place_order's transaction, after its offers are locked.

    A limited medicine locks the customer's row first: two checkouts of one
    customer, even from different sellers (whose offers are different rows),
    then count one after the other, and the second sees the first's order."""
    for line in lines:
        product = offers[line.offer_id].product
        if product.prescription_only and not (
                line.prescription is not None and line.prescription.is_approved
                and line.prescription.user_id == user.pk and line.prescription.product_id == product.pk):
            raise PrescriptionNotApproved(line)
    wanted: dict[int, int] = {}
    for line in lines:
        if offers[line.offer_id].product.is_limited:
            wanted[offers[line.offer_id].product_id] = wanted.get(offers[line.offer_id].product_id, 0) + line.quantity
    if not wanted:
        return
    get_user_model().objects.select_for_update().filter(pk=user.pk).first()
    products = {offer.product_id: offer.product for offer in offers.values()}
    for product_id, quantity in sorted(wanted.items()):
        product = products[product_id]
        bought = OrderLine.objects.filter(
            order__user=user, product_id=product_id,
            order__created_at__gte=now - timedelta(days=product.limit_days),
        ).exclude(order__status=Order.Status.CANCELLED).aggregate(units=Sum("quantity"))["units"] or 0
        if bought + quantity > product.limit_units:
            raise LimitReached(product, bought=bought)
