from django.conf import settings
from django.db import models, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from okryu.localized import pick


class District(models.Model):
    name_ko = models.CharField(_("name (Korean)"), max_length=60)
    name_en = models.CharField(_("name (English)"), max_length=60, blank=True)
    slug = models.SlugField(_("slug"), unique=True)

    class Meta:
        ordering = ["name_ko"]
        verbose_name = _("district")
        verbose_name_plural = _("districts")

    def __str__(self):
        return self.name

    @property
    def name(self):
        return pick(self, "name")


class TransportService(models.Model):
    class Vehicle(models.TextChoices):
        VAN = "van", _("Van")
        MOTORBIKE = "motorbike", _("Motorbike")
        BICYCLE = "bicycle", _("Bicycle")
        TRUCK = "truck", _("Truck")

    name_ko = models.CharField(_("name (Korean)"), max_length=80)
    name_en = models.CharField(_("name (English)"), max_length=80, blank=True)
    vehicle = models.CharField(_("vehicle"), max_length=20, choices=Vehicle.choices)
    districts = models.ManyToManyField(District, through="ServiceArea", verbose_name=_("districts"))
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["name_ko"]
        verbose_name = _("transport service")
        verbose_name_plural = _("transport services")

    def __str__(self):
        return self.name

    @property
    def name(self):
        return pick(self, "name")


class ServiceArea(models.Model):
    service = models.ForeignKey(TransportService, on_delete=models.CASCADE, related_name="areas")
    district = models.ForeignKey(District, on_delete=models.CASCADE, related_name="areas")
    fee = models.PositiveIntegerField(_("delivery fee (won)"))

    class Meta:
        verbose_name = _("service area")
        verbose_name_plural = _("service areas")
        constraints = [models.UniqueConstraint(fields=["service", "district"], name="service_area_unique")]

    def __str__(self):
        return f"{self.service} — {self.district}"


class TimeSlot(models.Model):
    service = models.ForeignKey(
        TransportService, on_delete=models.CASCADE, related_name="slots", verbose_name=_("service")
    )
    starts_at = models.DateTimeField(_("starts at"))
    ends_at = models.DateTimeField(_("ends at"))
    capacity = models.PositiveSmallIntegerField(_("capacity"))
    booked = models.PositiveSmallIntegerField(_("booked"), default=0)

    class Meta:
        ordering = ["starts_at", "service_id"]
        verbose_name = _("time slot")
        verbose_name_plural = _("time slots")
        constraints = [
            models.CheckConstraint(condition=models.Q(booked__lte=F("capacity")), name="slot_not_overbooked"),
            models.CheckConstraint(condition=models.Q(ends_at__gt=F("starts_at")), name="slot_ends_after_start"),
            models.UniqueConstraint(fields=["service", "starts_at"], name="slot_unique_start"),
        ]

    def __str__(self):
        start = timezone.localtime(self.starts_at)
        end = timezone.localtime(self.ends_at)
        return f"{start:%m-%d %H:%M}–{end:%H:%M}"

    @property
    def remaining(self):
        return self.capacity - self.booked


class Courier(models.Model):
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="courier", verbose_name=_("user")
    )
    service = models.ForeignKey(
        TransportService, on_delete=models.PROTECT, related_name="couriers", verbose_name=_("service")
    )
    phone = models.CharField(_("phone"), max_length=20)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("courier")
        verbose_name_plural = _("couriers")

    def __str__(self):
        return self.user.get_full_name() or self.user.get_username()


class InvalidTransition(Exception):
    """The delivery is not in a status from which this change is allowed."""


class Delivery(models.Model):
    """One seller's goods of an order, from the seller's door to the customer's."""

    class Status(models.TextChoices):
        PENDING = "pending", _("Waiting for a courier")
        ASSIGNED = "assigned", _("Courier assigned")
        PICKED_UP = "picked_up", _("Picked up")
        DELIVERED = "delivered", _("Delivered")
        FAILED = "failed", _("Failed")
        RETURNED = "returned", _("Returned")
        CANCELLED = "cancelled", _("Cancelled")

    class FailureReason(models.TextChoices):
        NOBODY_HOME = "nobody_home", _("Nobody home")
        WRONG_ADDRESS = "wrong_address", _("Wrong address")
        REFUSED = "refused", _("Refused")
        OTHER = "other", _("Other")

    order = models.ForeignKey("orders.Order", on_delete=models.CASCADE, related_name="deliveries")
    seller = models.ForeignKey("catalog.Seller", on_delete=models.PROTECT, related_name="deliveries")
    slot = models.ForeignKey(TimeSlot, on_delete=models.PROTECT, related_name="deliveries", verbose_name=_("slot"))
    district = models.ForeignKey(District, on_delete=models.PROTECT, related_name="deliveries")
    courier = models.ForeignKey(
        Courier, null=True, blank=True, on_delete=models.SET_NULL, related_name="deliveries",
        verbose_name=_("courier"),
    )
    status = models.CharField(_("status"), max_length=20, choices=Status.choices, default=Status.PENDING)
    pickup_address = models.CharField(_("pickup address"), max_length=250)
    dropoff_address = models.CharField(_("drop-off address"), max_length=250)
    is_hot_food = models.BooleanField(_("hot food"), default=False)
    promised_by = models.DateTimeField(_("promised by"), null=True, blank=True)
    failure_reason = models.CharField(_("failure reason"), max_length=20, choices=FailureReason.choices, blank=True)
    recipient_name = models.CharField(_("received by"), max_length=100, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    picked_up_at = models.DateTimeField(_("picked up at"), null=True, blank=True)
    delivered_at = models.DateTimeField(_("delivered at"), null=True, blank=True)

    TRANSITIONS = {
        Status.PENDING: {Status.ASSIGNED, Status.CANCELLED},
        Status.ASSIGNED: {Status.PENDING, Status.ASSIGNED, Status.PICKED_UP, Status.CANCELLED},
        Status.PICKED_UP: {Status.DELIVERED, Status.FAILED},
        Status.FAILED: {Status.RETURNED},
    }

    class Meta:
        ordering = ["-is_hot_food", "slot__starts_at", "district__name_ko", "id"]
        verbose_name = _("delivery")
        verbose_name_plural = _("deliveries")

    def __str__(self):
        return f"{self.order.number} / {self.seller}"

    def assign(self, courier: Courier | None, *, by) -> "Delivery":
        """Give the delivery to ``courier``, or back to the pool with None."""
        target = self.Status.ASSIGNED if courier else self.Status.PENDING
        return self._change(target, by=by, courier=courier)

    def mark_picked_up(self, *, by) -> "Delivery":
        return self._change(self.Status.PICKED_UP, by=by, picked_up_at=timezone.now())

    def mark_delivered(self, *, by, recipient_name: str) -> "Delivery":
        return self._change(self.Status.DELIVERED, by=by, recipient_name=recipient_name, delivered_at=timezone.now())

    def mark_failed(self, *, by, reason: str) -> "Delivery":
        return self._change(self.Status.FAILED, by=by, failure_reason=reason, note=reason)

    def cancel(self, *, by) -> "Delivery":
        return self._change(self.Status.CANCELLED, by=by)

    def _change(self, status: str, *, by, note: str = "", **fields) -> "Delivery":
        """Lock the row, check the transition, save it and record the event."""
        with transaction.atomic():
            locked = Delivery.objects.select_for_update().get(pk=self.pk)
            if status not in self.TRANSITIONS.get(locked.status, set()):
                raise InvalidTransition(f"{locked.status} → {status}")
            previous = locked.status
            locked.status = status
            for name, value in fields.items():
                setattr(locked, name, value)
            locked.save()
            if "courier" in fields and fields["courier"] is not None:
                note = note or str(fields["courier"])
            DeliveryEvent.objects.create(delivery=locked, from_status=previous, to_status=status, by=by, note=note)
        return locked


class DeliveryEvent(models.Model):
    delivery = models.ForeignKey(Delivery, on_delete=models.CASCADE, related_name="events")
    from_status = models.CharField(_("from"), max_length=20, choices=Delivery.Status.choices)
    to_status = models.CharField(_("to"), max_length=20, choices=Delivery.Status.choices)
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, verbose_name=_("by")
    )
    note = models.CharField(_("note"), max_length=200, blank=True)
    created_at = models.DateTimeField(_("at"), auto_now_add=True)

    class Meta:
        ordering = ["created_at", "id"]
        verbose_name = _("delivery event")
        verbose_name_plural = _("delivery events")
