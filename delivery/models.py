import math
from datetime import datetime
from typing import NamedTuple

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import F, Value
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from okryu.localized import pick
from okryu.transitions import StatusEvent, transition


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

    def clean(self):
        # The admin leaves ``booked`` out of its form, so Django skips the
        # constraint that mentions it; say it here rather than fail on save.
        if self.capacity is not None and self.capacity < self.booked:
            raise ValidationError({"capacity": _("%(booked)d places are already booked.") % {"booked": self.booked}})

    @property
    def remaining(self):
        return self.capacity - self.booked


class CourierManager(models.Manager):
    def get_queryset(self):
        # A courier's name is its user's: lists and filters of couriers need both.
        return super().get_queryset().select_related("user")


class Courier(models.Model):
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="courier", verbose_name=_("user")
    )
    service = models.ForeignKey(
        TransportService, on_delete=models.PROTECT, related_name="couriers", verbose_name=_("service")
    )
    phone = models.CharField(_("phone"), max_length=20)
    is_active = models.BooleanField(_("active"), default=True)

    objects = CourierManager()

    class Meta:
        verbose_name = _("courier")
        verbose_name_plural = _("couriers")

    def __str__(self):
        return self.user.get_full_name() or self.user.get_username()


class CourierNotInService(Exception):
    """The courier drives for another transport service than the delivery's slot."""

    def __init__(self, delivery: "Delivery", courier: "Courier"):
        super().__init__(f"courier {courier.pk} does not drive for the service of delivery {delivery.pk}")
        self.delivery = delivery
        self.courier = courier


class Transition(NamedTuple):
    sources: frozenset
    target: str | None  # None: a mark along the way, taken once, that keeps the status
    stamp: str  # the timestamp field the step sets, "" for none


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
        WRONG_ADDRESS = "wrong_address", _("Wrong or unreachable address")
        REFUSED = "refused", _("Refused by the customer")
        DAMAGED = "damaged", _("Damaged")
        SELLER_SHORT = "seller_short", _("Seller could not hand it over")
        HOT_FOOD_LATE = "hot_food_late", _("Hot food too late")
        OTHER = "other", _("Other")

    class Fault(models.TextChoices):
        CUSTOMER = "customer", _("Customer")
        SELLER = "seller", _("Seller")
        COURIER = "courier", _("Courier")
        NOBODY = "nobody", _("Nobody")

    class NextStep(models.TextChoices):
        REDELIVER = "redeliver", _("Redeliver")
        REFUND = "refund", _("Refund")
        RETURN = "return", _("Return to the seller")

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
    failure_note = models.CharField(_("failure note"), max_length=200, blank=True)
    # Of the latest failure; each failure's own is on its event row.
    fault = models.CharField(_("at fault"), max_length=20, choices=Fault.choices, blank=True)
    next_step = models.CharField(_("next step"), max_length=20, choices=NextStep.choices, blank=True)
    redeliveries = models.PositiveSmallIntegerField(_("redeliveries"), default=0)
    recipient_name = models.CharField(_("received by"), max_length=100, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    # The seller's kitchen or desk, while the goods wait for their courier:
    # each seller of an order prepares its own delivery.
    preparing_at = models.DateTimeField(_("preparing since"), null=True, blank=True)
    ready_at = models.DateTimeField(_("ready at"), null=True, blank=True)
    assigned_at = models.DateTimeField(_("assigned at"), null=True, blank=True)
    picked_up_at = models.DateTimeField(_("picked up at"), null=True, blank=True)
    delivered_at = models.DateTimeField(_("delivered at"), null=True, blank=True)
    failed_at = models.DateTimeField(_("failed at"), null=True, blank=True)
    returned_at = models.DateTimeField(_("returned at"), null=True, blank=True)
    cancelled_at = models.DateTimeField(_("cancelled at"), null=True, blank=True)

    # Every status change is one of these steps, and only from its sources.
    # Assign and reassign lead to the same status but are different steps, so
    # that two dispatchers assigning one waiting delivery cannot both win.
    TRANSITIONS = {
        "assign": Transition(frozenset({Status.PENDING}), Status.ASSIGNED, "assigned_at"),
        "reassign": Transition(frozenset({Status.ASSIGNED}), Status.ASSIGNED, "assigned_at"),
        "unassign": Transition(frozenset({Status.ASSIGNED}), Status.PENDING, ""),
        "pick_up": Transition(frozenset({Status.ASSIGNED}), Status.PICKED_UP, "picked_up_at"),
        "deliver": Transition(frozenset({Status.PICKED_UP}), Status.DELIVERED, "delivered_at"),
        # Also before pickup: the seller could not hand it over, or nobody came for it.
        "fail": Transition(frozenset({Status.PENDING, Status.ASSIGNED, Status.PICKED_UP}), Status.FAILED, "failed_at"),
        "choose_refund": Transition(frozenset({Status.FAILED}), Status.FAILED, ""),
        "reslot": Transition(frozenset({Status.FAILED}), Status.PENDING, ""),
        "return": Transition(frozenset({Status.FAILED}), Status.RETURNED, "returned_at"),
        "cancel": Transition(frozenset({Status.PENDING, Status.ASSIGNED}), Status.CANCELLED, "cancelled_at"),
        "prepare": Transition(frozenset({Status.PENDING, Status.ASSIGNED}), None, "preparing_at"),
        "make_ready": Transition(frozenset({Status.PENDING, Status.ASSIGNED}), None, "ready_at"),
    }

    class Meta:
        ordering = ["-is_hot_food", "slot__starts_at", "district__name_ko", "id"]
        verbose_name = _("delivery")
        verbose_name_plural = _("deliveries")
        permissions = [("dispatch", _("Can dispatch deliveries to couriers"))]
        indexes = [models.Index(fields=["status", "slot"], name="delivery_status_slot")]
        # Literal values: the Status and FailureReason classes are not in scope here.
        constraints = [
            models.CheckConstraint(
                condition=~models.Q(status__in=["failed", "returned"]) | models.Q(
                    failure_reason__in=["nobody_home", "wrong_address", "refused", "damaged", "seller_short",
                                        "hot_food_late", "other"],
                    fault__in=["customer", "seller", "courier", "nobody"],
                    next_step__in=["redeliver", "refund", "return"],
                ),
                name="delivery_failure_has_reason_fault_and_step",
            ),
            models.CheckConstraint(condition=~models.Q(failure_reason="other") | ~models.Q(failure_note=""),
                                   name="delivery_other_failure_has_note"),
            models.CheckConstraint(
                condition=~models.Q(status="delivered") | ~models.Q(recipient_name=""),
                name="delivery_delivered_has_recipient",
            ),
        ]

    def __str__(self):
        return f"{self.order.number} / {self.seller}"

    @property
    def minutes_left(self) -> int | None:
        """Whole minutes until the promised time; negative when late."""
        if self.promised_by is None:
            return None
        return math.floor((self.promised_by - timezone.now()).total_seconds() / 60)

    @property
    def goods_resellable(self) -> bool:
        """Whether this failed delivery's goods, once back, can be sold again."""
        return not self.is_hot_food and REASON_RULES[self.failure_reason].resellable

    @property
    def items(self) -> list:
        """The order's lines that this delivery carries (its seller's), from
        the prefetched lines when the caller prefetched ``order__lines``."""
        return [line for line in self.order.lines.all() if line.seller_id == self.seller_id]

    def assign(self, courier: Courier, *, by) -> "Delivery":
        """Give a waiting delivery to a courier of its slot's service."""
        self._check_service(courier)
        return self._change("assign", by=by, courier=courier)

    def reassign(self, courier: Courier, *, by) -> "Delivery":
        """Move an assigned (not yet picked up) delivery to another courier."""
        self._check_service(courier)
        return self._change("reassign", by=by, courier=courier)

    def unassign(self, *, by) -> "Delivery":
        """Put an assigned (not yet picked up) delivery back among the waiting."""
        return self._change("unassign", by=by, courier=None, assigned_at=None)

    def mark_picked_up(self, *, by, pressed_at: datetime | None = None) -> "Delivery":
        return self._change("pick_up", by=by, pressed_at=pressed_at)

    def mark_delivered(self, *, by, recipient_name: str, pressed_at: datetime | None = None) -> "Delivery":
        """The database refuses an empty recipient name."""
        return self._change("deliver", by=by, recipient_name=recipient_name, note=recipient_name,
                            pressed_at=pressed_at)

    def mark_failed(self, *, by, reason: str, note: str = "", pressed_at: datetime | None = None) -> "Delivery":
        """``reason`` is one of FailureReason (OTHER with a ``note``); who is
        at fault and the next step follow from it (REASON_RULES)."""
        rule = REASON_RULES[self.FailureReason(reason)]  # ValueError for an unknown reason
        step = rule.step
        # Hot food does not keep, and a second redelivery would cost the
        # customer a new fee: the money goes back instead.
        if step == self.NextStep.REDELIVER and (self.is_hot_food or self.redeliveries >= FREE_REDELIVERIES):
            step = self.NextStep.REFUND
        return self._change(
            "fail", by=by, note=f"{reason}: {note}" if note else reason,
            failure_reason=reason, failure_note=note, fault=rule.fault, next_step=step, pressed_at=pressed_at,
            event={"failure_reason": reason, "fault": rule.fault},
        )

    def choose_refund(self, *, by) -> "Delivery":
        """The customer (or the dispatcher) would rather have the money back
        than a redelivery."""
        return self._change("choose_refund", by=by, note=self.NextStep.REFUND, next_step=self.NextStep.REFUND,
                            sources={self.NextStep.REDELIVER})

    def reslot(self, slot: TimeSlot, *, by) -> "Delivery":
        """A failed delivery to redeliver goes back to the dispatcher in
        ``slot`` (booked by the caller)."""
        return self._change("reslot", by=by, note=str(slot), slot=slot, courier=None, assigned_at=None,
                            picked_up_at=None, redeliveries=F("redeliveries") + 1,
                            sources={self.NextStep.REDELIVER})

    def mark_returned(self, *, by, pressed_at: datetime | None = None) -> "Delivery":
        """The failed parcel is back at the seller."""
        return self._change("return", by=by, pressed_at=pressed_at)

    def cancel(self, *, by, fault: str = "") -> "Delivery":
        """``fault``: Fault.SELLER when the seller cancels (it lowers the
        seller score); kept on the event row only, since the delivery's own
        fault is its latest failure's."""
        return self._change("cancel", by=by, note=fault, event={"fault": fault})

    def mark_preparing(self, *, by) -> "Delivery":
        """The seller started on it; once, and not after it is ready."""
        return self._change("prepare", by=by, note="preparing")

    def mark_ready(self, *, by) -> "Delivery":
        """The seller has it ready for the courier; once. A seller that
        never marked it preparing was preparing it until now."""
        now = timezone.now()
        return self._change("make_ready", by=by, note="ready",
                            preparing_at=Coalesce("preparing_at", Value(now, output_field=models.DateTimeField())))

    def _check_service(self, courier: Courier) -> None:
        # The slot never changes after checkout, so this needs no lock.
        if courier.service_id != self.slot.service_id:
            raise CourierNotInService(self, courier)

    def _change(self, step: str, *, by, note: str = "", event: dict | None = None, sources=None,
                pressed_at: datetime | None = None, **fields) -> "Delivery":
        """Take ``step`` through the one transition helper, stamping its time
        and saving ``fields``. Raises InvalidTransition and changes nothing
        when the step does not fit the current status, the courier changed
        since ``self`` was read, or (with ``sources``, next steps) the
        locked row's next step is not one of them, or (a mark that keeps
        the status) the locked row's status differs from ``self``'s or its
        mark is already there. A step pressed offline
        (``pressed_at``) is stamped with the time it happened; its event keeps
        both times."""
        statuses, target, stamp = self.TRANSITIONS[step]
        marks_once = target is None
        if marks_once:
            target = self.status
        if stamp:
            fields[stamp] = pressed_at or timezone.now()
        if "courier" in fields and not note:
            # Who had it and who has it now, for reassignments in the timeline;
            # the check below makes self's courier the locked row's.
            note = f"{self.courier or '—'} → {fields['courier'] or '—'}"
        # A caller that read the row before it changed hands (a courier's
        # page loaded before a reassignment) acts on a stale row: refused.
        row = transition(
            self, target, by=by, note=note, sources=statuses, fields=fields,
            event={**(event or {}), "pressed_at": pressed_at},
            check=lambda locked: locked.courier_id == self.courier_id and (
                sources is None or locked.next_step in sources) and (
                not marks_once or (locked.status == self.status and getattr(locked, stamp) is None)),
        )
        if any(hasattr(value, "resolve_expression") for value in fields.values()):
            row.refresh_from_db()
        return row


class ReasonRule(NamedTuple):
    fault: str
    step: str
    resellable: bool  # whether goods back at the seller go back into stock (hot food never does)


# Who is at fault for each failure, what happens next, and whether the goods
# can be sold again. Redeliveries are for goods that keep, and free up to
# FREE_REDELIVERIES (Delivery.mark_failed).
REASON_RULES = {
    Delivery.FailureReason.NOBODY_HOME: ReasonRule(Delivery.Fault.CUSTOMER, Delivery.NextStep.REDELIVER, True),
    Delivery.FailureReason.WRONG_ADDRESS: ReasonRule(Delivery.Fault.CUSTOMER, Delivery.NextStep.REDELIVER, True),
    Delivery.FailureReason.REFUSED: ReasonRule(Delivery.Fault.CUSTOMER, Delivery.NextStep.REFUND, True),
    Delivery.FailureReason.DAMAGED: ReasonRule(Delivery.Fault.COURIER, Delivery.NextStep.REFUND, False),
    # Nothing was handed over, so nothing comes back.
    Delivery.FailureReason.SELLER_SHORT: ReasonRule(Delivery.Fault.SELLER, Delivery.NextStep.REFUND, False),
    Delivery.FailureReason.HOT_FOOD_LATE: ReasonRule(Delivery.Fault.COURIER, Delivery.NextStep.REFUND, False),
    Delivery.FailureReason.OTHER: ReasonRule(Delivery.Fault.NOBODY, Delivery.NextStep.RETURN, True),
}
FREE_REDELIVERIES = 1


class DeliveryEvent(StatusEvent):
    delivery = models.ForeignKey(Delivery, on_delete=models.CASCADE, related_name="events")
    from_status = models.CharField(_("from"), max_length=20, choices=Delivery.Status.choices, blank=True)
    to_status = models.CharField(_("to"), max_length=20, choices=Delivery.Status.choices)
    # Set on the events of failures: every failure counts for the seller
    # score, also one that a redelivery later put right; on a cancellation's
    # event, the seller's when the seller cancelled.
    failure_reason = models.CharField(_("failure reason"), max_length=20, choices=Delivery.FailureReason.choices,
                                      blank=True)
    fault = models.CharField(_("at fault"), max_length=20, choices=Delivery.Fault.choices, blank=True)
    # When the courier pressed the button, if it was sent later from the
    # page's outbox; created_at is when the server received it.
    pressed_at = models.DateTimeField(_("pressed at"), null=True, blank=True)

    class Meta(StatusEvent.Meta):
        verbose_name = _("delivery event")
        verbose_name_plural = _("delivery events")


class CourierAction(models.Model):
    """One press of a courier's button sent by the page's outbox, kept by
    the id the page made for it: a replay of the id gets the first answer
    back and changes nothing."""

    action_id = models.UUIDField(_("action id"), unique=True)
    courier = models.ForeignKey(Courier, on_delete=models.CASCADE, related_name="actions", verbose_name=_("courier"))
    delivery = models.ForeignKey(
        Delivery, on_delete=models.CASCADE, related_name="courier_actions", verbose_name=_("delivery"))
    # The button's URL: the same id sent for another button is a reuse, not a replay.
    path = models.CharField(_("path"), max_length=200)
    pressed_at = models.DateTimeField(_("pressed at"))
    received_at = models.DateTimeField(_("received at"), auto_now_add=True)
    answer_status = models.PositiveSmallIntegerField(_("answer status"), default=0)
    answer = models.CharField(_("answer"), max_length=500, blank=True)

    class Meta:
        verbose_name = _("courier action")
        verbose_name_plural = _("courier actions")

    def __str__(self):
        return str(self.action_id)
