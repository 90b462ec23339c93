"""Delivery workflows after checkout: the dispatcher's assignments and the
courier actions that move the order along through orders.services. Slots,
fees and booking are in delivery.booking, which imports nothing of orders."""

from collections.abc import Iterable

from django.db import transaction
from django.db.models import Count, Q
from django.utils import timezone

from delivery.models import Courier, Delivery
from orders import services as order_services

# A courier has these in hand; the dispatcher sees them as the courier's load.
UNDER_WAY = (Delivery.Status.ASSIGNED, Delivery.Status.PICKED_UP)


# Dispatcher


def waiting_deliveries():
    """Deliveries without a courier, by slot, district, hot food first."""
    return (
        Delivery.objects.filter(status=Delivery.Status.PENDING)
        .select_related("order", "seller", "slot__service", "district")
        .order_by("slot__starts_at", "slot_id", "district__name_ko", "district_id", "-is_hot_food", "pk")
    )


def assigned_deliveries():
    """Deliveries given to a courier and not yet picked up (the ones a
    dispatcher may still move), by courier and slot."""
    return (
        Delivery.objects.filter(status=Delivery.Status.ASSIGNED)
        .select_related("order", "seller", "slot", "district", "courier__user")
        .order_by("courier_id", "slot__starts_at", "pk")
    )


def failed_deliveries():
    """Deliveries that failed and are not yet back at their seller."""
    return (
        Delivery.objects.filter(status=Delivery.Status.FAILED)
        .select_related("order", "seller", "district", "courier__user")
        .order_by("failed_at", "pk")
    )


def couriers_with_load():
    """Active couriers, each with ``load``: how many deliveries they have in hand."""
    return (
        Courier.objects.filter(is_active=True)
        .select_related("user", "service")
        .annotate(load=Count("deliveries", filter=Q(deliveries__status__in=UNDER_WAY)))
        .order_by("service__name_ko", "load", "user__first_name", "pk")
    )


def _each_locked(delivery_ids: Iterable[int]) -> list[Delivery]:
    # Primary-key order, so that two dispatchers moving overlapping
    # selections queue instead of deadlocking.
    return list(
        Delivery.objects.select_for_update(of=("self",)).select_related("slot")
        .filter(pk__in=list(delivery_ids)).order_by("pk")
    )


@transaction.atomic
def assign_deliveries(*, delivery_ids: Iterable[int], courier: Courier, by) -> list[Delivery]:
    """Give waiting deliveries to ``courier``: all of them or, when one is no
    longer waiting (InvalidTransition) or belongs to another service
    (CourierNotInService), none."""
    return [delivery.assign(courier, by=by) for delivery in _each_locked(delivery_ids)]


@transaction.atomic
def reassign_deliveries(*, delivery_ids: Iterable[int], courier: Courier, by) -> list[Delivery]:
    """Move assigned deliveries to ``courier``; all or none, as assign_deliveries."""
    return [delivery.reassign(courier, by=by) for delivery in _each_locked(delivery_ids)]


@transaction.atomic
def unassign_deliveries(*, delivery_ids: Iterable[int], by) -> list[Delivery]:
    """Put assigned deliveries back among the waiting; all or none."""
    return [delivery.unassign(by=by) for delivery in _each_locked(delivery_ids)]


@transaction.atomic
def return_deliveries(*, delivery_ids: Iterable[int], by) -> list[Delivery]:
    """Record failed deliveries as back at their seller; all or none."""
    return [delivery.mark_returned(by=by) for delivery in _each_locked(delivery_ids)]


@transaction.atomic
def assign_automatically(*, deliveries, by) -> int:
    """Give each waiting delivery to an active courier of its slot's service,
    preferring one already going to the same district, then the least loaded.
    Deliveries no longer waiting are skipped. Returns how many were assigned."""
    waiting = [d for d in _each_locked(d.pk for d in deliveries) if d.status == Delivery.Status.PENDING]
    couriers = {}
    for courier in Courier.objects.filter(is_active=True, service_id__in={d.slot.service_id for d in waiting}):
        couriers.setdefault(courier.service_id, []).append(courier)
    load = {c.pk: 0 for group in couriers.values() for c in group}
    districts = {c: set() for c in load}
    for courier_id, district_id in Delivery.objects.filter(courier_id__in=load, status__in=UNDER_WAY).values_list(
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


# Courier


def courier_deliveries(*, courier: Courier):
    """The courier's work up to today, in the order to do it: hot food first,
    then by slot and district. Done and cancelled deliveries drop off; failed
    ones stay until they are back at the seller."""
    today = timezone.localdate()
    return (
        Delivery.objects.filter(
            courier=courier, slot__starts_at__date__lte=today,
            status__in=[*UNDER_WAY, Delivery.Status.FAILED],
        )
        .select_related("order", "slot", "district")
        .prefetch_related("order__lines")
        .order_by("-is_hot_food", "slot__starts_at", "district__name_ko", "pk")
    )


def _queue_on_order(delivery: Delivery) -> None:
    """Lock every delivery of ``delivery``'s order, in id order, before the
    step: courier steps on one order then run one at a time, each reading
    its siblings as the one before left them, and the order row is locked
    only by the status change that moves it. cancel_order takes these locks
    in the same order, deliveries before their order."""
    list(Delivery.objects.select_for_update().filter(order_id=delivery.order_id).order_by("pk").values_list("pk"))


@transaction.atomic
def pick_up(*, delivery: Delivery, by) -> Delivery:
    """Mark picked up and move the order along, in one transaction."""
    _queue_on_order(delivery)
    delivery = delivery.mark_picked_up(by=by)
    order_services.record_delivery_progress(order_id=delivery.order_id, by=by)
    return delivery


@transaction.atomic
def deliver(*, delivery: Delivery, by, recipient_name: str) -> Delivery:
    """Mark delivered and move the order along, in one transaction."""
    _queue_on_order(delivery)
    delivery = delivery.mark_delivered(by=by, recipient_name=recipient_name)
    order_services.record_delivery_progress(order_id=delivery.order_id, by=by)
    return delivery


@transaction.atomic
def fail(*, delivery: Delivery, by, reason: str) -> Delivery:
    """Mark failed and move the order along, in one transaction."""
    _queue_on_order(delivery)
    delivery = delivery.mark_failed(by=by, reason=reason)
    order_services.record_delivery_progress(order_id=delivery.order_id, by=by)
    return delivery
