"""Delivery workflows after checkout: the dispatcher's assignments and the
courier actions that move the order along through orders.services. Slots,
fees and booking are in delivery.booking, which imports nothing of orders."""

import uuid
from collections.abc import Callable, Iterable
from datetime import datetime, timedelta

from django.contrib.auth import get_user_model
from django.db import transaction
from django.db.models import Count, Q
from django.urls import reverse
from django.utils import timezone

from delivery import booking
from delivery.models import Courier, CourierAction, Delivery, DeliveryEvent, TimeSlot
from okryu.notices.models import Event
from okryu.notices.services import notify
from okryu.transitions import InvalidTransition
from orders import refunds
from orders import services as order_services

# Hot food leaves the kitchen when its slot starts: a dish still waiting
# this long after that is late, and the dispatchers are told. Deliveries
# whose slot started longer ago than the window are past telling.
HOT_FOOD_PICKUP_GRACE = timedelta(minutes=10)
HOT_FOOD_WARNING_WINDOW = timedelta(hours=2)
# A courier has these in hand; the dispatcher sees them as the courier's load.
UNDER_WAY = (Delivery.Status.ASSIGNED, Delivery.Status.PICKED_UP)
# How far ahead the courier page looks: a shift's worth, not the calendar
# day, so that at 10 p.m. the slot at midnight is on the page.
COURIER_HORIZON = timedelta(hours=12)


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
    """Deliveries that failed and are not yet back at their seller, oldest first."""
    return (
        Delivery.objects.filter(status=Delivery.Status.FAILED)
        .select_related("order", "seller", "district", "courier__user", "slot")
        .order_by("failed_at", "pk")
    )


def redelivery_slots(*, delivery: Delivery):
    """Slots with room that a failed delivery can be redelivered in: its
    service's, in its district, as checkout would offer them."""
    return booking.open_slots(district=delivery.district, fresh_minutes=None).filter(
        service_id=delivery.slot.service_id).order_by("starts_at")


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
    return [confirm_return(delivery=delivery, by=by) for delivery in _each_locked(delivery_ids)]


@transaction.atomic
def fail_deliveries(*, delivery_ids: Iterable[int], reason: str, note: str, by) -> list[Delivery]:
    """The dispatcher fails deliveries nobody picked up (or a courier could
    not); all or none. A parcel a courier has in hand is the courier's to
    fail (InvalidTransition)."""
    deliveries = _each_locked(delivery_ids)
    for delivery in deliveries:
        if delivery.status == Delivery.Status.PICKED_UP:
            raise InvalidTransition(delivery, Delivery.Status.FAILED)
    return [fail(delivery=delivery, reason=reason, note=note, by=by) for delivery in deliveries]


@transaction.atomic
def reslot_deliveries(*, delivery_ids: Iterable[int], slot_id: int, by) -> list[Delivery]:
    """The dispatcher redelivers failed deliveries in ``slot_id``; all or none."""
    return [reslot(delivery=delivery, slot_id=slot_id, by=by) for delivery in _each_locked(delivery_ids)]


@transaction.atomic
def refund_deliveries(*, delivery_ids: Iterable[int], by) -> list[Delivery]:
    """The dispatcher refunds failed deliveries that were to be redelivered; all or none."""
    return [refund_instead(delivery=delivery, by=by) for delivery in _each_locked(delivery_ids)]


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
    """The courier's work of the next COURIER_HORIZON (and anything left from
    before), in the order to do it: hot food first, then by slot and
    district. Done and cancelled deliveries drop off; failed ones stay until
    they are back at the seller."""
    return (
        Delivery.objects.filter(
            courier=courier, slot__starts_at__lt=timezone.now() + COURIER_HORIZON,
            status__in=[*UNDER_WAY, Delivery.Status.FAILED],
        )
        .select_related("order", "slot", "district")
        .prefetch_related("order__lines")
        .order_by("-is_hot_food", "slot__starts_at", "district__name_ko", "pk")
    )


# Courier actions sent later by the page's outbox


class PressedBeforeAssignment(Exception):
    """The courier's page says the button was pressed before the delivery
    was (last) assigned to them: a stale press, or a cheated clock."""

    def __init__(self, delivery: Delivery, *, pressed_at: datetime, assigned_at: datetime):
        super().__init__(f"delivery {delivery.pk} assigned at {assigned_at}, pressed at {pressed_at}")
        self.delivery = delivery
        self.pressed_at = pressed_at
        self.assigned_at = assigned_at


class ActionIdReused(Exception):
    """An action id already recorded for another courier, delivery or button."""


@transaction.atomic
def take_step_once(*, action_id: uuid.UUID, courier: Courier, delivery: Delivery, path: str,
                   pressed_at: datetime, take: Callable[[], tuple[int, str]]) -> CourierAction:
    """Run the courier's step ``take`` once per ``action_id`` and keep its
    answer (status, message): a replay, also a concurrent one, waits for the
    first and gets the recorded action back without running anything.
    ``take`` answers a refused step itself, having changed nothing, so the
    refusal is what replays get. Raises ActionIdReused when the id was
    recorded for another courier, delivery or button."""
    action, created = CourierAction.objects.get_or_create(
        action_id=action_id, defaults={"courier": courier, "delivery": delivery, "path": path,
                                       "pressed_at": pressed_at})
    if not created:
        if (action.courier_id, action.delivery_id, action.path) != (courier.pk, delivery.pk, path):
            raise ActionIdReused(action_id)
        return action
    action.answer_status, action.answer = take()
    action.save(update_fields=["answer_status", "answer"])
    return action


def check_pressed_after_assignment(*, delivery: Delivery, pressed_at: datetime) -> None:
    """Raise PressedBeforeAssignment when ``pressed_at`` is older than the
    delivery's assignment. Takes the order's delivery locks that the step
    takes next, so no reassignment slips in between."""
    _queue_on_order(delivery)
    assigned_at = Delivery.objects.values_list("assigned_at", flat=True).get(pk=delivery.pk)
    if assigned_at is not None and pressed_at < assigned_at:
        raise PressedBeforeAssignment(delivery, pressed_at=pressed_at, assigned_at=assigned_at)


def recent_courier_steps(*, limit: int = 30):
    """Today's courier steps, newest first, with the time each was pressed
    and the time the server received it, for the dispatcher."""
    return (
        DeliveryEvent.objects.filter(
            created_at__date=timezone.localdate(),
            to_status__in=[Delivery.Status.PICKED_UP, Delivery.Status.DELIVERED, Delivery.Status.FAILED,
                           Delivery.Status.RETURNED],
        )
        .select_related("delivery__order", "by")
        .order_by("-created_at", "-pk")[:limit]
    )


def _queue_on_order(delivery: Delivery) -> None:
    """Lock every delivery of ``delivery``'s order, in id order, before the
    step: courier steps on one order then run one at a time, each reading
    its siblings as the one before left them, and the order row is locked
    only by the status change that moves it. cancel_order takes these locks
    in the same order, deliveries before their order."""
    list(Delivery.objects.select_for_update().filter(order_id=delivery.order_id).order_by("pk").values_list("pk"))


@transaction.atomic
def pick_up(*, delivery: Delivery, by, pressed_at: datetime | None = None) -> Delivery:
    """Mark picked up and move the order along, in one transaction."""
    _queue_on_order(delivery)
    delivery = delivery.mark_picked_up(by=by, pressed_at=pressed_at)
    order_services.record_delivery_progress(order_id=delivery.order_id, by=by)
    _tell_customer(delivery, Event.OUT_FOR_DELIVERY, courier=delivery.courier,
                   promised=delivery.promised_by or delivery.slot.ends_at)
    return delivery


@transaction.atomic
def deliver(*, delivery: Delivery, by, recipient_name: str, pressed_at: datetime | None = None) -> Delivery:
    """Mark delivered and move the order along, in one transaction."""
    _queue_on_order(delivery)
    delivery = delivery.mark_delivered(by=by, recipient_name=recipient_name, pressed_at=pressed_at)
    order_services.record_delivery_progress(order_id=delivery.order_id, by=by)
    _tell_customer(delivery, Event.DELIVERED)
    return delivery


@transaction.atomic
def fail(*, delivery: Delivery, by, reason: str, note: str = "", pressed_at: datetime | None = None) -> Delivery:
    """Mark failed with ``reason`` (a FailureReason; OTHER with a note) and
    move the order along, in one transaction: the courier after pickup, or
    at the seller's door, or the dispatcher for a delivery nobody picked up.
    The reason decides who is at fault and the next step: a refund gives
    the lines back at once; goods that never left the seller (and are not
    to be redelivered) are back at once."""
    _queue_on_order(delivery)
    delivery = delivery.mark_failed(by=by, reason=reason, note=note, pressed_at=pressed_at)
    refund = None
    if delivery.next_step == Delivery.NextStep.REFUND:
        refund = refunds.refund_delivery(delivery=delivery, reason=f"delivery failed: {reason}", by=by)
    if delivery.picked_up_at is None and delivery.next_step != Delivery.NextStep.REDELIVER:
        delivery = confirm_return(delivery=delivery, by=by)
    order_services.record_delivery_progress(order_id=delivery.order_id, by=by)
    _tell_customer(delivery, Event.DELIVERY_FAILED, reason=Delivery.FailureReason(reason).label,
                   next_step=delivery.next_step, refunded=refund.amount if refund else 0)
    return delivery


@transaction.atomic
def confirm_return(*, delivery: Delivery, by, pressed_at: datetime | None = None) -> Delivery:
    """A failed delivery's goods are back at the seller (the courier or the
    dispatcher says so): what of its lines is not yet refunded is, goods
    that can be sold again go back into stock, and the order follows."""
    _queue_on_order(delivery)
    delivery = delivery.mark_returned(by=by, pressed_at=pressed_at)
    refunds.refund_delivery(delivery=delivery, reason=f"returned: {delivery.failure_reason}", by=by)
    if delivery.goods_resellable:
        refunds.restock_delivery(delivery=delivery)
    order_services.record_delivery_progress(order_id=delivery.order_id, by=by)
    return delivery


@transaction.atomic
def reslot(*, delivery: Delivery, slot_id: int, by) -> Delivery:
    """Send a failed delivery to be redelivered in another slot of its
    service (free, once): one place booked there, its old one freed, and
    the delivery waits for a courier again. Raises booking.SlotFull for a
    slot that is full or not on offer, InvalidTransition when the delivery
    is not one to redeliver; nothing changes then."""
    _queue_on_order(delivery)
    if not redelivery_slots(delivery=delivery).filter(pk=slot_id).exists():
        raise booking.SlotFull()
    old_slot_id = delivery.slot_id
    booking.book_slot(slot_id=slot_id, count=1)
    delivery = delivery.reslot(TimeSlot.objects.get(pk=slot_id), by=by)
    booking.release_slot(slot_id=old_slot_id, count=1)
    return delivery


@transaction.atomic
def refund_instead(*, delivery: Delivery, by) -> Delivery:
    """The customer would rather not wait for a redelivery: the lines are
    refunded now, and the goods go back to the seller."""
    _queue_on_order(delivery)
    delivery = delivery.choose_refund(by=by)
    refunds.refund_delivery(delivery=delivery, reason="refund instead of a redelivery", by=by)
    order_services.record_delivery_progress(order_id=delivery.order_id, by=by)
    return delivery


def _tell_customer(delivery: Delivery, event: Event, **context) -> None:
    # The seller object, not its name: the name is picked in the customer's
    # language when the message is written. A redelivery is a new attempt,
    # told again: its pickup, its delivery or its failure.
    order = delivery.order
    attempt = f"/{delivery.redeliveries}" if delivery.redeliveries else ""
    notify(recipient=order.user, event=event, obj_key=f"delivery:{delivery.pk}{attempt}",
           context={"number": order.number, "seller": delivery.seller, **context}, link=order.get_absolute_url())


def warn_about_waiting_hot_food(*, now: datetime | None = None) -> int:
    """Tell every dispatcher about each hot-food delivery not picked up
    HOT_FOOD_PICKUP_GRACE after its slot started; safe to run every minute,
    each dispatcher hears about a delivery once. Returns how many are late."""
    now = now or timezone.now()
    late = list(
        Delivery.objects.filter(
            is_hot_food=True, status__in=(Delivery.Status.PENDING, Delivery.Status.ASSIGNED),
            slot__starts_at__lte=now - HOT_FOOD_PICKUP_GRACE,
            slot__starts_at__gt=now - HOT_FOOD_WARNING_WINDOW,
        ).select_related("order", "seller", "slot").order_by("pk")
    )
    dispatch = Q(groups__permissions__codename="dispatch", groups__permissions__content_type__app_label="delivery")
    dispatch |= Q(user_permissions__codename="dispatch", user_permissions__content_type__app_label="delivery")
    dispatchers = list(get_user_model().objects.filter(dispatch, is_active=True).distinct().order_by("pk"))
    for delivery in late:
        for dispatcher in dispatchers:
            notify(recipient=dispatcher, event=Event.HOT_FOOD_WAITING, obj_key=f"delivery:{delivery.pk}",
                   context={"number": delivery.order.number, "seller": delivery.seller,
                            "promised": delivery.promised_by or delivery.slot.ends_at},
                   link=reverse("delivery:dispatch"))
    return len(late)
