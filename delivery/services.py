"""Delivery workflows: slots offered and booked at checkout, deliveries
created for an order, and courier actions that move the order along."""

from datetime import datetime, timedelta

from django.db import transaction
from django.db.models import F
from django.utils import timezone

from delivery.models import Courier, Delivery, District, ServiceArea, TimeSlot
from orders import services as order_services

# A restaurant needs this long between the order and the dish being ready.
KITCHEN_LEAD_TIME = timedelta(minutes=30)


class SlotFull(Exception):
    """The time slot has no capacity left (or has passed)."""


class NotServed(Exception):
    """The service does not deliver to that district."""


def open_slots(*, district: District, fresh_minutes: int | None, now: datetime | None = None):
    """Slots of services that cover ``district``, not yet started, with room.

    With hot food (``fresh_minutes`` set) only slots short enough for the
    dish to arrive fresh, and late enough for the kitchen, are offered.
    """
    now = now or timezone.now()
    slots = TimeSlot.objects.filter(
        service__is_active=True, service__areas__district=district, booked__lt=F("capacity"),
    ).select_related("service")
    if fresh_minutes is None:
        return slots.filter(starts_at__gt=now)
    return slots.filter(
        starts_at__gte=now + KITCHEN_LEAD_TIME,
        starts_at__lte=now + timedelta(hours=4),
        ends_at__lte=F("starts_at") + timedelta(minutes=fresh_minutes),
    )


def delivery_fee(*, slot: TimeSlot, district: District) -> int:
    area = ServiceArea.objects.filter(service_id=slot.service_id, district=district).first()
    if area is None:
        raise NotServed()
    return area.fee


def fees_by_service(*, district: District) -> dict[int, int]:
    """The delivery fee of every service that covers ``district``, in one query."""
    return dict(ServiceArea.objects.filter(district=district).values_list("service_id", "fee"))


@transaction.atomic
def book_slot(*, slot_id: int, count: int) -> TimeSlot:
    """Take ``count`` places in the slot, or raise SlotFull and take none."""
    updated = TimeSlot.objects.filter(
        pk=slot_id, starts_at__gt=timezone.now(), booked__lte=F("capacity") - count
    ).update(booked=F("booked") + count)
    if not updated:
        raise SlotFull()
    return TimeSlot.objects.select_related("service").get(pk=slot_id)


@transaction.atomic
def release_slot(*, slot_id: int, count: int) -> None:
    TimeSlot.objects.filter(pk=slot_id, booked__gte=count).update(booked=F("booked") - count)


def create_deliveries(*, order, slot: TimeSlot, sellers, fresh_minutes_by_seller: dict) -> list[Delivery]:
    """One delivery per seller, picked up at the seller, dropped at the order's address."""
    deliveries = []
    for seller in sellers:
        fresh = fresh_minutes_by_seller.get(seller.pk)
        deliveries.append(Delivery(
            order=order, seller=seller, slot=slot, district_id=order.district_id,
            pickup_address=f"{seller.name} · {seller.address}",
            dropoff_address=order.address_text,
            is_hot_food=fresh is not None,
            promised_by=slot.ends_at if fresh is not None else None,
        ))
    return Delivery.objects.bulk_create(deliveries)


def courier_deliveries(courier: Courier):
    """Today's work for the courier, in the order to do it: hot food first,
    then by slot and district."""
    today = timezone.localdate()
    return (
        Delivery.objects.filter(courier=courier, slot__starts_at__date__lte=today)
        .exclude(status__in=[Delivery.Status.DELIVERED, Delivery.Status.RETURNED])
        .select_related("order", "seller", "slot", "district")
        .prefetch_related("order__lines")
    )


@transaction.atomic
def pick_up(*, delivery: Delivery, by) -> Delivery:
    delivery = delivery.mark_picked_up(by=by)
    order_services.record_delivery_progress(order_id=delivery.order_id, by=by)
    return delivery


@transaction.atomic
def deliver(*, delivery: Delivery, by, recipient_name: str) -> Delivery:
    delivery = delivery.mark_delivered(by=by, recipient_name=recipient_name)
    order_services.record_delivery_progress(order_id=delivery.order_id, by=by)
    return delivery


@transaction.atomic
def fail(*, delivery: Delivery, by, reason: str) -> Delivery:
    delivery = delivery.mark_failed(by=by, reason=reason)
    order_services.record_delivery_progress(order_id=delivery.order_id, by=by)
    return delivery


@transaction.atomic
def assign_automatically(*, deliveries, by) -> int:
    """Give each waiting delivery to an active courier of its slot's service,
    preferring one already going to the same district, then the least loaded.
    Returns how many were assigned."""
    waiting = list(
        Delivery.objects.select_for_update(of=("self",)).filter(
            pk__in=[d.pk for d in deliveries], status=Delivery.Status.PENDING
        ).select_related("slot").order_by("pk")
    )
    couriers = {}
    for courier in Courier.objects.filter(is_active=True, service_id__in={d.slot.service_id for d in waiting}):
        couriers.setdefault(courier.service_id, []).append(courier)
    active = [Delivery.Status.ASSIGNED, Delivery.Status.PICKED_UP]
    load = {c.pk: 0 for group in couriers.values() for c in group}
    districts = {c: set() for c in load}
    for courier_id, district_id in Delivery.objects.filter(courier_id__in=load, status__in=active).values_list(
        "courier_id", "district_id"
    ):
        load[courier_id] += 1
        districts[courier_id].add(district_id)
    assigned = 0
    for delivery in waiting:
        candidates = couriers.get(delivery.slot.service_id)
        if not candidates:
            continue
        chosen = min(candidates, key=lambda c: (delivery.district_id not in districts[c.pk], load[c.pk], c.pk))
        delivery.assign(chosen, by=by)
        load[chosen.pk] += 1
        districts[chosen.pk].add(delivery.district_id)
        assigned += 1
    return assigned
