from datetime import date, timedelta

from django.conf import settings
from django.contrib.postgres.fields import ArrayField
from django.contrib.postgres.indexes import GinIndex
from django.core.exceptions import ValidationError
from django.db import models
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from okryu.localized import pick
from okryu.transitions import StatusEvent, transition


class Amenity(models.TextChoices):
    WIFI = "wifi", _("Internet")
    BREAKFAST = "breakfast", _("Breakfast")
    RESTAURANT = "restaurant", _("Restaurant")
    PARKING = "parking", _("Parking")
    POOL = "pool", _("Swimming pool")
    SAUNA = "sauna", _("Sauna")
    LAUNDRY = "laundry", _("Laundry")
    HEATED_FLOOR = "heated_floor", _("Heated floor (ondol)")


def _percent(field: str) -> models.Q:
    return models.Q(**{f"{field}__gte": 0, f"{field}__lte": 100})


class Lodging(models.Model):
    """A hotel or inn. Its cancellation policy is copied onto every booking,
    so a later change never alters what a guest agreed to."""

    class Kind(models.TextChoices):
        HOTEL = "hotel", _("Hotel")
        INN = "inn", _("Inn")

    seller = models.ForeignKey(
        "catalog.Seller", on_delete=models.PROTECT, related_name="lodgings", verbose_name=_("seller")
    )
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices, default=Kind.HOTEL)
    slug = models.SlugField(_("slug"), unique=True)
    name_ko = models.CharField(_("name (Korean)"), max_length=120)
    name_en = models.CharField(_("name (English)"), max_length=120, blank=True)
    district = models.ForeignKey("delivery.District", on_delete=models.PROTECT, verbose_name=_("district"))
    address = models.CharField(_("address"), max_length=200)
    description_ko = models.TextField(_("description (Korean)"), blank=True)
    description_en = models.TextField(_("description (English)"), blank=True)
    house_rules_ko = models.TextField(_("house rules (Korean)"), blank=True)
    house_rules_en = models.TextField(_("house rules (English)"), blank=True)
    check_in_from = models.TimeField(_("check-in from"))
    check_out_until = models.TimeField(_("check-out until"))
    amenities = ArrayField(
        models.CharField(max_length=20, choices=Amenity.choices), verbose_name=_("amenities"), default=list, blank=True
    )
    image = models.ImageField(_("picture"), upload_to="lodging/", blank=True)
    thumbnails = models.JSONField(_("thumbnails"), default=dict, blank=True, editable=False)
    free_cancel_days = models.PositiveSmallIntegerField(
        _("free cancellation until (days before arrival)"), default=3
    )
    cancel_percent = models.PositiveSmallIntegerField(_("late cancellation charge (%)"), default=50)
    no_show_percent = models.PositiveSmallIntegerField(_("no-show charge (%)"), default=100)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["name_ko"]
        verbose_name = _("lodging")
        verbose_name_plural = _("lodgings")
        constraints = [
            models.CheckConstraint(condition=_percent("cancel_percent"), name="lodging_cancel_percent_0_100"),
            models.CheckConstraint(condition=_percent("no_show_percent"), name="lodging_no_show_percent_0_100"),
        ]
        indexes = [GinIndex(fields=["amenities"], name="lodging_amenities_gin")]

    def __str__(self):
        return self.name

    def get_absolute_url(self):
        return reverse("lodging:detail", args=[self.slug])

    @property
    def name(self):
        return pick(self, "name")

    @property
    def description(self):
        return pick(self, "description")

    @property
    def house_rules(self):
        return pick(self, "house_rules")

    def amenity_labels(self) -> list[str]:
        return [Amenity(code).label for code in self.amenities if code in Amenity.values]


class RoomType(models.Model):
    lodging = models.ForeignKey(Lodging, on_delete=models.CASCADE, related_name="room_types", verbose_name=_("lodging"))
    name_ko = models.CharField(_("name (Korean)"), max_length=120)
    name_en = models.CharField(_("name (English)"), max_length=120, blank=True)
    beds = models.PositiveSmallIntegerField(_("beds"), default=1)
    max_guests = models.PositiveSmallIntegerField(_("most guests"), default=2)
    included_guests = models.PositiveSmallIntegerField(_("guests included in the rate"), default=2)
    extra_guest_rate = models.PositiveIntegerField(_("each further guest, per night (won)"), default=0)
    room_count = models.PositiveSmallIntegerField(_("rooms of this type"), default=1)
    base_rate = models.PositiveIntegerField(_("nightly rate (won)"))
    min_stay = models.PositiveSmallIntegerField(_("shortest stay (nights)"), default=1)
    max_stay = models.PositiveSmallIntegerField(_("longest stay (nights)"), default=30)
    image = models.ImageField(_("picture"), upload_to="lodging/rooms/", blank=True)
    thumbnails = models.JSONField(_("thumbnails"), default=dict, blank=True, editable=False)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["lodging", "base_rate", "id"]
        verbose_name = _("room type")
        verbose_name_plural = _("room types")
        constraints = [
            models.CheckConstraint(condition=models.Q(base_rate__gt=0), name="room_type_rate_positive"),
            models.CheckConstraint(condition=models.Q(max_guests__gte=1), name="room_type_takes_a_guest"),
            models.CheckConstraint(
                condition=models.Q(min_stay__gte=1, max_stay__gte=models.F("min_stay")), name="room_type_stay_range"
            ),
        ]

    def __str__(self):
        return f"{self.lodging} — {self.name}"

    def save(self, *args, **kwargs):
        super().save(*args, **kwargs)
        # Nights already counted follow the new number of rooms; the CHECK
        # refuses fewer rooms than are taken, which clean() reports first.
        RoomNight.objects.filter(room_type=self, night__gte=timezone.localdate()).exclude(
            rooms=self.room_count
        ).update(rooms=self.room_count)

    @property
    def name(self):
        return pick(self, "name")

    def clean(self):
        if self.pk and self.room_count < self._most_taken_ahead():
            raise ValidationError(
                {"room_count": _("More rooms than that are already booked on a coming night.")}, code="booked"
            )

    def _most_taken_ahead(self) -> int:
        return RoomNight.objects.filter(room_type=self, night__gte=timezone.localdate()).aggregate(
            most=models.Max("taken", default=0)
        )["most"]


class RateRule(models.Model):
    """A nightly rate for the nights of a date range, optionally only on some
    weekdays. Where rules overlap, the highest priority wins, then the newest."""

    room_type = models.ForeignKey(RoomType, on_delete=models.CASCADE, related_name="rates", verbose_name=_("room type"))
    starts_on = models.DateField(_("first night"))
    ends_on = models.DateField(_("last night"))
    # ISO weekdays, 1 = Monday … 7 = Sunday; empty means every day.
    weekdays = ArrayField(models.PositiveSmallIntegerField(), verbose_name=_("weekdays"), default=list, blank=True)
    nightly_rate = models.PositiveIntegerField(_("nightly rate (won)"))
    priority = models.SmallIntegerField(_("priority"), default=0)

    class Meta:
        ordering = ["room_type", "starts_on", "id"]
        verbose_name = _("rate rule")
        verbose_name_plural = _("rate rules")
        constraints = [
            models.CheckConstraint(condition=models.Q(ends_on__gte=models.F("starts_on")), name="rate_rule_range"),
            models.CheckConstraint(condition=models.Q(nightly_rate__gt=0), name="rate_rule_rate_positive"),
        ]

    def __str__(self):
        return f"{self.room_type}: {self.starts_on}–{self.ends_on}"


class Closure(models.Model):
    """Nights a lodging (or one of its room types) takes no guests."""

    lodging = models.ForeignKey(Lodging, on_delete=models.CASCADE, related_name="closures", verbose_name=_("lodging"))
    room_type = models.ForeignKey(
        RoomType, null=True, blank=True, on_delete=models.CASCADE, related_name="closures",
        verbose_name=_("room type"), help_text=_("Empty: the whole lodging is closed."),
    )
    starts_on = models.DateField(_("first night"))
    ends_on = models.DateField(_("last night"))
    reason = models.CharField(_("reason"), max_length=200, blank=True)

    class Meta:
        ordering = ["starts_on", "id"]
        verbose_name = _("closure")
        verbose_name_plural = _("closures")
        constraints = [
            models.CheckConstraint(condition=models.Q(ends_on__gte=models.F("starts_on")), name="closure_range"),
        ]

    def __str__(self):
        return f"{self.lodging}: {self.starts_on}–{self.ends_on}"


class RoomNight(models.Model):
    """How many rooms of a type are taken on one night (held or booked).

    The CHECK makes overselling impossible whatever the code does: taking a
    room is a conditional UPDATE ``taken = taken + 1 WHERE taken < rooms``
    on every night of the stay, and a stay whose nights are not all updated
    is rolled back. Rows are written on first use, with the room type's
    count of rooms."""

    room_type = models.ForeignKey(RoomType, on_delete=models.CASCADE, related_name="nights")
    night = models.DateField(_("night"))
    rooms = models.PositiveSmallIntegerField(_("rooms"))
    taken = models.PositiveSmallIntegerField(_("taken"), default=0)

    class Meta:
        verbose_name = _("occupancy by night")
        verbose_name_plural = _("occupancy by night")
        constraints = [
            models.UniqueConstraint(fields=["room_type", "night"], name="room_night_one_per_night"),
            models.CheckConstraint(condition=models.Q(taken__lte=models.F("rooms")), name="room_night_not_oversold"),
        ]
        # Search reads every room type's counters for a few nights: by night
        # first, from the index alone.
        indexes = [models.Index(fields=["night", "room_type"], include=["rooms", "taken"], name="room_night_by_night")]

    def __str__(self):
        return f"{self.room_type_id} {self.night}: {self.taken}/{self.rooms}"


class Reservation(models.Model):
    class Status(models.TextChoices):
        HELD = "held", _("Held for payment")
        CONFIRMED = "confirmed", _("Confirmed")
        CHECKED_IN = "checked_in", _("Checked in")
        CHECKED_OUT = "checked_out", _("Checked out")
        CANCELLED = "cancelled", _("Cancelled")
        NO_SHOW = "no_show", _("No-show")
        EXPIRED = "expired", _("Hold expired")

    TRANSITIONS = {
        Status.HELD: {Status.CONFIRMED, Status.EXPIRED},
        Status.CONFIRMED: {Status.CHECKED_IN, Status.CANCELLED, Status.NO_SHOW},
        Status.CHECKED_IN: {Status.CHECKED_OUT},
    }
    # The statuses whose nights are counted in RoomNight.taken.
    HOLDING = {Status.HELD, Status.CONFIRMED, Status.CHECKED_IN}

    code = models.CharField(_("booking code"), max_length=20, unique=True)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="reservations", verbose_name=_("guest")
    )
    lodging = models.ForeignKey(Lodging, on_delete=models.PROTECT, related_name="reservations",
                                verbose_name=_("lodging"))
    room_type = models.ForeignKey(RoomType, on_delete=models.PROTECT, related_name="reservations",
                                  verbose_name=_("room type"))
    room_name = models.CharField(_("room type"), max_length=120)
    arrival = models.DateField(_("arrival"))
    departure = models.DateField(_("departure"))
    guests = models.PositiveSmallIntegerField(_("guests"))
    guest_names = models.CharField(_("guest names"), max_length=300)
    arrival_time = models.TimeField(_("arrival time"), null=True, blank=True)
    requests = models.TextField(_("requests"), max_length=1000, blank=True)
    status = models.CharField(_("status"), max_length=20, choices=Status.choices, default=Status.HELD)
    hold_token = models.UUIDField(unique=True, editable=False)
    hold_expires_at = models.DateTimeField(_("hold expires at"))
    # [[ISO date, won], ...]: the price of each night as quoted at booking.
    nightly = models.JSONField(_("nightly prices"))
    total = models.PositiveIntegerField(_("total"))
    # The lodging's policy as it was when the guest booked.
    free_cancel_days = models.PositiveSmallIntegerField(_("free cancellation until (days before arrival)"))
    cancel_percent = models.PositiveSmallIntegerField(_("late cancellation charge (%)"))
    no_show_percent = models.PositiveSmallIntegerField(_("no-show charge (%)"))
    payment = models.ForeignKey(
        "payments.Payment", null=True, blank=True, on_delete=models.PROTECT, related_name="+",
        verbose_name=_("payment"),
    )
    created_at = models.DateTimeField(_("booked at"), auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("reservation")
        verbose_name_plural = _("reservations")
        constraints = [
            models.CheckConstraint(condition=models.Q(departure__gt=models.F("arrival")), name="reservation_nights"),
            models.CheckConstraint(condition=_percent("cancel_percent"), name="reservation_cancel_percent_0_100"),
            models.CheckConstraint(condition=_percent("no_show_percent"), name="reservation_no_show_percent_0_100"),
        ]
        indexes = [
            models.Index(fields=["user", "-created_at"], name="reservation_user_recent"),
            models.Index(fields=["lodging", "arrival"], name="reservation_lodging_arrival"),
            # Availability reads count expired holds not yet released.
            models.Index(fields=["room_type", "hold_expires_at"], condition=models.Q(status="held"),
                         name="reservation_open_hold"),
        ]

    def __str__(self):
        return self.code

    def get_absolute_url(self):
        return reverse("lodging:reservation", args=[self.code])

    @property
    def nights(self) -> int:
        return (self.departure - self.arrival).days

    def night_dates(self) -> list[date]:
        return [self.arrival + timedelta(days=n) for n in range(self.nights)]

    def cancellation_refund(self, *, today: date) -> int:
        """What cancelling on ``today`` gives back: everything up to
        ``free_cancel_days`` before arrival, then the total less the late
        charge (the charge rounds down, in the guest's favour)."""
        if (self.arrival - today).days >= self.free_cancel_days:
            return self.total
        return self.total - self.total * self.cancel_percent // 100

    @property
    def no_show_refund(self) -> int:
        return self.total - self.total * self.no_show_percent // 100

    @property
    def is_cancellable(self) -> bool:
        return self.Status.CANCELLED in self.TRANSITIONS.get(self.status, set())

    def change_status(self, status: str, *, by=None, note: str = "", amount: int = 0) -> "Reservation":
        """Move the reservation to ``status`` if TRANSITIONS allow it, with its
        event (``amount``: the money that moved); raises InvalidTransition
        otherwise."""
        return transition(self, status, by=by, note=note, event={"amount": amount})


class ReservationEvent(StatusEvent):
    reservation = models.ForeignKey(Reservation, on_delete=models.CASCADE, related_name="events")
    from_status = models.CharField(_("from"), max_length=20, choices=Reservation.Status.choices, blank=True)
    to_status = models.CharField(_("to"), max_length=20, choices=Reservation.Status.choices)
    amount = models.PositiveIntegerField(_("money moved"), default=0)

    class Meta(StatusEvent.Meta):
        verbose_name = _("reservation event")
        verbose_name_plural = _("reservation events")


class RoomChange(models.Model):
    """A guest in the house moved to another room type for the nights left.
    The difference for those nights is charged with a payment of its own
    (the guest gives card and PIN at the desk) or refunded on the stay's."""

    reservation = models.ForeignKey(Reservation, on_delete=models.PROTECT, related_name="room_changes",
                                    verbose_name=_("reservation"))
    from_room_type = models.ForeignKey(RoomType, on_delete=models.PROTECT, related_name="+",
                                       verbose_name=_("from room type"))
    to_room_type = models.ForeignKey(RoomType, on_delete=models.PROTECT, related_name="+",
                                     verbose_name=_("to room type"))
    first_night = models.DateField(_("first night in the new room"))
    # Positive: charged to the guest; negative: refunded.
    difference = models.IntegerField(_("price difference (won)"))
    payment = models.ForeignKey(
        "payments.Payment", null=True, blank=True, on_delete=models.PROTECT, related_name="+",
        verbose_name=_("payment of the difference"),
    )
    # The desk's form token: a double submit moves the guest once.
    token = models.UUIDField(unique=True, editable=False)
    by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                           related_name="+", verbose_name=_("by"))
    created_at = models.DateTimeField(_("at"), auto_now_add=True)

    class Meta:
        ordering = ["created_at", "id"]
        verbose_name = _("room change")
        verbose_name_plural = _("room changes")

    def __str__(self):
        return f"{self.reservation_id}: {self.from_room_type_id} → {self.to_room_type_id}"


class DistrictCentre(models.Model):
    """Where a district's centre lies, so search can sort lodgings by how far
    their district is from the one a guest chose (great-circle distance
    between centres, in SQL)."""

    district = models.OneToOneField("delivery.District", on_delete=models.CASCADE, primary_key=True,
                                    related_name="centre", verbose_name=_("district"))
    latitude = models.FloatField(_("latitude"))
    longitude = models.FloatField(_("longitude"))

    class Meta:
        verbose_name = _("district centre")
        verbose_name_plural = _("district centres")
        constraints = [
            models.CheckConstraint(condition=models.Q(latitude__gte=-90, latitude__lte=90), name="centre_latitude"),
            models.CheckConstraint(condition=models.Q(longitude__gte=-180, longitude__lte=180),
                                   name="centre_longitude"),
        ]

    def __str__(self):
        return f"{self.district_id}: {self.latitude}, {self.longitude}"
