from django.conf import settings
from django.db import models, transaction
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from okryu.phones import display_phone
from okryu.transitions import StatusEvent, transition


class Cart(models.Model):
    """A customer's cart: one per account; before login, one per session,
    which keeps its id and hands it over to the account at login."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.CASCADE, related_name="cart"
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("cart")
        verbose_name_plural = _("carts")

    def __str__(self):
        return f"cart {self.pk}"


class Prescription(models.Model):
    """A customer's prescription number for one prescription-only medicine,
    which a pharmacist approves or rejects in the admin; the medicine is
    paid for only once it is approved."""

    class Status(models.TextChoices):
        PENDING = "pending", _("Waiting for a pharmacist")
        APPROVED = "approved", _("Approved")
        REJECTED = "rejected", _("Rejected")

    TRANSITIONS = {Status.PENDING: {Status.APPROVED, Status.REJECTED}}

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="prescriptions", verbose_name=_("customer")
    )
    product = models.ForeignKey(
        "catalog.Product", on_delete=models.PROTECT, related_name="+", verbose_name=_("medicine")
    )
    number = models.CharField(_("prescription number"), max_length=40)
    status = models.CharField(_("status"), max_length=20, choices=Status.choices, default=Status.PENDING)
    created_at = models.DateTimeField(_("given at"), auto_now_add=True)

    class Meta:
        ordering = ["created_at", "id"]
        verbose_name = _("prescription")
        verbose_name_plural = _("prescriptions")
        indexes = [models.Index(fields=["status", "created_at"], name="prescription_status_time")]

    def __str__(self):
        return self.number

    @property
    def is_approved(self):
        return self.status == self.Status.APPROVED

    def approve(self, *, by) -> "Prescription":
        return transition(self, self.Status.APPROVED, by=by)

    def reject(self, *, by, note: str = "") -> "Prescription":
        return transition(self, self.Status.REJECTED, by=by, note=note)


class PrescriptionEvent(StatusEvent):
    prescription = models.ForeignKey(Prescription, on_delete=models.CASCADE, related_name="events")
    from_status = models.CharField(_("from"), max_length=20, choices=Prescription.Status.choices, blank=True)
    to_status = models.CharField(_("to"), max_length=20, choices=Prescription.Status.choices)

    class Meta(StatusEvent.Meta):
        verbose_name = _("prescription event")
        verbose_name_plural = _("prescription events")


class CartLine(models.Model):
    cart = models.ForeignKey(Cart, on_delete=models.CASCADE, related_name="lines")
    offer = models.ForeignKey("catalog.Offer", on_delete=models.CASCADE, related_name="+")
    prescription = models.ForeignKey(Prescription, null=True, blank=True, on_delete=models.SET_NULL,
                                     related_name="+")
    quantity = models.PositiveIntegerField(_("quantity"))
    price_when_added = models.PositiveIntegerField(_("price when added"))
    added_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["added_at", "id"]
        constraints = [
            models.UniqueConstraint(fields=["cart", "offer"], name="cart_line_one_per_offer"),
            models.CheckConstraint(condition=models.Q(quantity__gte=1), name="cart_line_quantity_positive"),
        ]

    def __str__(self):
        return f"{self.offer_id} × {self.quantity}"


class Address(models.Model):
    """An entry of a customer's address book. Orders copy what they need
    of it, so editing or deleting an address never changes a past order."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="addresses")
    recipient_name = models.CharField(_("recipient"), max_length=100)
    phone = models.CharField(_("phone"), max_length=20)
    district = models.ForeignKey("delivery.District", on_delete=models.PROTECT, verbose_name=_("district"))
    line = models.CharField(_("address"), max_length=200)
    is_default = models.BooleanField(_("default address"), default=False)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        # The default first, then the newest: the order checkout offers them in.
        ordering = ["-is_default", "-created_at", "-id"]
        verbose_name = _("address")
        verbose_name_plural = _("addresses")
        constraints = [
            models.UniqueConstraint(fields=["user"], condition=models.Q(is_default=True),
                                    name="address_one_default_per_user"),
        ]

    def __str__(self):
        return f"{self.recipient_name}, {self.district.name} {self.line} ({display_phone(self.phone)})"

    def make_default(self) -> "Address":
        """Make this the owner's one default address. The owner's addresses
        are locked first, so two tabs choosing two defaults end with one."""
        with transaction.atomic():
            list(Address.objects.select_for_update().filter(user_id=self.user_id).order_by("pk").values_list("pk"))
            Address.objects.filter(user_id=self.user_id, is_default=True).exclude(pk=self.pk).update(is_default=False)
            Address.objects.filter(pk=self.pk).update(is_default=True)
        self.is_default = True
        return self


class Order(models.Model):
    class Status(models.TextChoices):
        PLACED = "placed", _("Placed")
        PAID = "paid", _("Paid")
        PREPARING = "preparing", _("Preparing")
        READY = "ready", _("Ready")
        OUT_FOR_DELIVERY = "out_for_delivery", _("Out for delivery")
        DELIVERED = "delivered", _("Delivered")
        PARTLY_DELIVERED = "partly_delivered", _("Partly delivered")
        CANCELLED = "cancelled", _("Cancelled")
        REFUNDED = "refunded", _("Refunded")

    TRANSITIONS = {
        Status.PLACED: {Status.PAID, Status.CANCELLED},
        Status.PAID: {Status.PREPARING, Status.READY, Status.OUT_FOR_DELIVERY, Status.CANCELLED},
        Status.PREPARING: {Status.READY, Status.OUT_FOR_DELIVERY, Status.CANCELLED},
        Status.READY: {Status.OUT_FOR_DELIVERY, Status.CANCELLED},
        Status.OUT_FOR_DELIVERY: {Status.DELIVERED, Status.PARTLY_DELIVERED, Status.REFUNDED},
        Status.DELIVERED: {Status.REFUNDED},
        Status.PARTLY_DELIVERED: {Status.REFUNDED},
    }
    # The true final states, once every delivery has ended one way or another.
    FINAL = {Status.DELIVERED, Status.PARTLY_DELIVERED, Status.REFUNDED, Status.CANCELLED}
    CANCELLABLE = {Status.PLACED, Status.PAID, Status.PREPARING, Status.READY}

    number = models.CharField(_("order number"), max_length=20, unique=True)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="orders", verbose_name=_("customer")
    )
    status = models.CharField(_("status"), max_length=20, choices=Status.choices, default=Status.PLACED)
    checkout_token = models.UUIDField(unique=True, editable=False)
    subtotal = models.PositiveIntegerField(_("subtotal"))
    delivery_fee = models.PositiveIntegerField(_("delivery fee"))
    total = models.PositiveIntegerField(_("total"))
    fee_refunded = models.PositiveIntegerField(_("delivery fee refunded"), default=0)
    recipient_name = models.CharField(_("recipient"), max_length=100)
    phone = models.CharField(_("phone"), max_length=20)
    district = models.ForeignKey("delivery.District", on_delete=models.PROTECT, verbose_name=_("district"))
    district_name = models.CharField(_("district"), max_length=60)
    address_line = models.CharField(_("address"), max_length=200)
    service_name = models.CharField(_("delivery service"), max_length=80)
    payment = models.ForeignKey(
        "payments.Payment", null=True, blank=True, on_delete=models.PROTECT, related_name="+",
        verbose_name=_("payment"),
    )
    created_at = models.DateTimeField(_("placed at"), auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("order")
        verbose_name_plural = _("orders")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(total=models.F("subtotal") + models.F("delivery_fee")), name="order_total_adds_up"
            ),
            models.CheckConstraint(condition=models.Q(fee_refunded__lte=models.F("delivery_fee")),
                                   name="order_fee_refunded_at_most_fee"),
        ]

    def __str__(self):
        return self.number

    def get_absolute_url(self):
        return reverse("orders:detail", args=[self.number])

    @property
    def address_text(self):
        return f"{self.district_name} {self.address_line} ({self.recipient_name}, {display_phone(self.phone)})"

    @property
    def is_cancellable(self):
        return self.status in self.CANCELLABLE

    def change_status(self, status: str, *, by=None, note: str = "", happened_at=None,
                      locked: bool = False, fields: dict | None = None) -> "Order":
        """Move the order to ``status`` if TRANSITIONS allow it, with its event
        (``happened_at``: when, if earlier than now); raises InvalidTransition
        otherwise. ``locked`` and ``fields``: as okryu.transitions.transition
        takes them."""
        return transition(self, status, by=by, note=note, event={"happened_at": happened_at}, locked=locked,
                          fields=fields)


class OrderLine(models.Model):
    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="lines")
    offer = models.ForeignKey("catalog.Offer", null=True, on_delete=models.SET_NULL, related_name="+")
    product = models.ForeignKey("catalog.Product", null=True, on_delete=models.SET_NULL, related_name="+")
    seller = models.ForeignKey("catalog.Seller", on_delete=models.PROTECT, related_name="order_lines")
    product_name = models.CharField(_("product"), max_length=160)
    seller_name = models.CharField(_("seller"), max_length=120)
    unit_price = models.PositiveIntegerField(_("unit price"))
    quantity = models.PositiveIntegerField(_("quantity"))
    # Units given back (refunded, or released from the hold before capture),
    # and of those the units whose goods went back into the offer's stock.
    refunded_quantity = models.PositiveIntegerField(_("refunded quantity"), default=0)
    restocked_quantity = models.PositiveIntegerField(_("restocked quantity"), default=0)
    prescription = models.ForeignKey(Prescription, null=True, blank=True, on_delete=models.PROTECT,
                                     related_name="order_lines", verbose_name=_("prescription"))

    class Meta:
        ordering = ["id"]
        verbose_name = _("order line")
        verbose_name_plural = _("order lines")
        constraints = [
            models.CheckConstraint(condition=models.Q(refunded_quantity__lte=models.F("quantity")),
                                   name="order_line_refunded_at_most_sold"),
            models.CheckConstraint(condition=models.Q(restocked_quantity__lte=models.F("refunded_quantity")),
                                   name="order_line_restocked_at_most_refunded"),
        ]

    def __str__(self):
        return f"{self.product_name} × {self.quantity}"

    @property
    def line_total(self):
        return self.unit_price * self.quantity

    @property
    def refunded(self) -> int:
        """Won given back for this line."""
        return self.unit_price * self.refunded_quantity

    @property
    def quantity_left(self) -> int:
        return self.quantity - self.refunded_quantity

    @property
    def review_key(self) -> str:
        """How this purchase is named to catalog's review service."""
        return f"order-line:{self.pk}"


class OrderEvent(StatusEvent):
    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="events")
    from_status = models.CharField(_("from"), max_length=20, choices=Order.Status.choices, blank=True)
    to_status = models.CharField(_("to"), max_length=20, choices=Order.Status.choices)
    # When a courier's step pressed offline really happened (created_at is
    # when the phone's outbox sent it); empty when the two are the same.
    happened_at = models.DateTimeField(_("happened at"), null=True, blank=True)

    @property
    def at(self):
        return self.happened_at or self.created_at

    class Meta(StatusEvent.Meta):
        verbose_name = _("order event")
        verbose_name_plural = _("order events")


class Refund(models.Model):
    """Money given back for lines of an order (and its delivery fee when
    nothing was delivered): after capture a refund to the card, before it
    a part of the hold that will not be captured."""

    order = models.ForeignKey(Order, on_delete=models.PROTECT, related_name="refunds", verbose_name=_("order"))
    key = models.CharField(_("key"), max_length=80, unique=True)
    amount = models.PositiveIntegerField(_("amount"))
    fee = models.PositiveIntegerField(_("of which delivery fee"), default=0)
    before_capture = models.BooleanField(_("before capture"), default=False)
    reason = models.CharField(_("reason"), max_length=200)
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+",
        verbose_name=_("by"),
    )
    created_at = models.DateTimeField(_("at"), auto_now_add=True)

    class Meta:
        ordering = ["created_at", "id"]
        verbose_name = _("refund")
        verbose_name_plural = _("refunds")
        constraints = [models.CheckConstraint(condition=models.Q(amount__gt=0), name="refund_positive")]

    def __str__(self):
        return f"{self.order_id}: {self.amount}"


class RefundLine(models.Model):
    refund = models.ForeignKey(Refund, on_delete=models.CASCADE, related_name="lines")
    line = models.ForeignKey(OrderLine, on_delete=models.PROTECT, related_name="refunds", verbose_name=_("line"))
    quantity = models.PositiveIntegerField(_("quantity"))
    restocked = models.BooleanField(_("back in stock"), default=False)

    class Meta:
        verbose_name = _("refunded line")
        verbose_name_plural = _("refunded lines")
        constraints = [models.CheckConstraint(condition=models.Q(quantity__gte=1), name="refund_line_positive")]

    def __str__(self):
        return f"{self.line_id} × {self.quantity}"
