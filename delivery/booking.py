"""Slots and fees: the slots checkout offers and books, the fee of a
district, the deliveries an order gets, and the week of slots staff create.

Nothing here imports orders: checkout calls in, and a delivery reads its
order only through its foreign key, so booking stays free of the workflows
that report progress back (delivery.services)."""

from collections.abc import Collection, Iterable
from datetime import date, datetime, time, timedelta

from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone

from delivery.models import Delivery, District, ServiceArea, TimeSlot, TransportService

# A restaurant needs this long between the order and the dish being ready.
KITCHEN_LEAD_TIME = timedelta(minutes=30)
# Restaurants cook to order for the next few hours, not for another day.
HOT_FOOD_HORIZON = timedelta(hours=4)
# Checkout books slots that end within this: the card hold taken at checkout
# lives 7 days (payments.issuer.HOLD_LIFETIME), and the payment is captured
# at pickup, so a day is left for a pickup that runs late.
BOOKING_HORIZON = timedelta(days=6)


class SlotFull(Exception):
    """The time slot has no capacity left (or has passed)."""


class NotServed(Exception):
    """The service does not deliver to that district."""


# Checkout


def open_slots(*, district: District, fresh_minutes: int | None, kitchens: Iterable = (),
               now: datetime | None = None):
    """Slots of services that cover ``district``, not yet started, ending
    within BOOKING_HORIZON, with room.

    With hot food (``fresh_minutes`` set) only slots short enough for the
    dish to arrive fresh (it leaves the kitchen at the slot's start and is
    promised by its end), late enough for the kitchen to cook it, and within
    HOT_FOOD_HORIZON are offered. ``kitchens`` are the schedules of the
    restaurants cooking it (catalog.hours.Schedule): the slot must start
    while each is open, at least KITCHEN_LEAD_TIME after it opens.
    """
    now = now or timezone.now()
    slots = TimeSlot.objects.filter(
        service__is_active=True, service__areas__district=district, booked__lt=F("capacity"),
    ).select_related("service")
    if fresh_minutes is None:
        return slots.filter(starts_at__gt=now, ends_at__lte=now + BOOKING_HORIZON)
    slots = slots.filter(
        starts_at__gte=now + KITCHEN_LEAD_TIME,
        starts_at__lte=now + HOT_FOOD_HORIZON,
        ends_at__lte=F("starts_at") + timedelta(minutes=fresh_minutes),
    )
    for kitchen in kitchens:
        slots = slots.filter(_while_open(kitchen, now=now))
    return slots


def _while_open(kitchen, *, now: datetime) -> Q:
    """Slots starting from KITCHEN_LEAD_TIME after one of the kitchen's
    openings until its closing, within the hot-food horizon."""
    if kitchen.always_open:
        return Q()
    open_then = Q(pk__in=[])
    for opening, closing in kitchen.periods(start=now, end=now + HOT_FOOD_HORIZON):
        open_then |= Q(starts_at__gte=opening + KITCHEN_LEAD_TIME, starts_at__lte=closing)
    return open_then


def fees_by_service(*, district: District) -> dict[int, int]:
    """The delivery fee of every service that covers ``district``, in one query."""
    return dict(ServiceArea.objects.filter(district=district).values_list("service_id", "fee"))


def book_slot(*, slot_id: int, count: int) -> None:
    """Take ``count`` places in the slot, or raise SlotFull and take none.

    One conditional UPDATE: concurrent bookings queue on the row lock and
    each re-checks the room left, so the slot is never overbooked (and the
    database constraint would refuse it anyway)."""
    updated = TimeSlot.objects.filter(
        pk=slot_id, starts_at__gt=timezone.now(), booked__lte=F("capacity") - count
    ).update(booked=F("booked") + count)
    if not updated:
        raise SlotFull()


@transaction.atomic
def release_slot(*, slot_id: int, count: int) -> None:
    TimeSlot.objects.filter(pk=slot_id, booked__gte=count).update(booked=F("booked") - count)


def create_deliveries(*, order, slot: TimeSlot, sellers: Iterable, hot_food_sellers: Collection[int]) -> list[Delivery]:
    """One delivery per seller, picked up at the seller, dropped at the
    order's address; a seller in ``hot_food_sellers`` (ids) cooks, and its
    dish is promised by the slot's end."""
    deliveries = []
    for seller in sellers:
        hot = seller.pk in hot_food_sellers
        deliveries.append(Delivery(
            order=order, seller=seller, slot=slot, district_id=order.district_id,
            pickup_address=f"{seller.name} · {seller.address}",
            dropoff_address=order.address_text,
            is_hot_food=hot,
            promised_by=slot.ends_at if hot else None,
        ))
    return Delivery.objects.bulk_create(deliveries)


# Staff: slots


@transaction.atomic
def create_week_of_slots(*, service: TransportService, first_day: date, day_starts: time, day_ends: time,
                         minutes: int, capacity: int, days: int = 7) -> int:
    """Slots of ``minutes`` from ``day_starts`` to ``day_ends`` (local time)
    on ``days`` days from ``first_day``. Slots that would overlap one the
    service already has are left out, so running it twice adds nothing.
    Returns how many were created."""
    length = timedelta(minutes=minutes)
    wanted = []
    for day in range(days):
        current = first_day + timedelta(days=day)
        start = timezone.make_aware(datetime.combine(current, day_starts))
        close = timezone.make_aware(datetime.combine(current, day_ends))
        while start + length <= close:
            wanted.append((start, start + length))
            start += length
    if not wanted:
        return 0
    existing = list(TimeSlot.objects.filter(
        service=service, starts_at__lt=wanted[-1][1], ends_at__gt=wanted[0][0]
    ).values_list("starts_at", "ends_at"))
    new = [
        TimeSlot(service=service, starts_at=start, ends_at=end, capacity=capacity)
        for start, end in wanted
        if not any(start < taken_end and taken_start < end for taken_start, taken_end in existing)
    ]
    # The unique (service, start) constraint settles two staff running it at once.
    return len(TimeSlot.objects.bulk_create(new, ignore_conflicts=True))
