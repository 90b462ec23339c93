"""Delivery.TRANSITIONS: every step from every status, allowed or refused,
with its timestamp and event; the constraints behind the steps."""

from datetime import timedelta

import pytest
from django.db import IntegrityError
from django.utils import timezone

from delivery.models import CourierNotInService, Delivery, DeliveryEvent
from okryu.transitions import InvalidTransition
from tests import factories

pytestmark = pytest.mark.django_db

S = Delivery.Status


def take(delivery, step, *, by, courier):
    if step == "assign":
        return delivery.assign(courier, by=by)
    if step == "reassign":
        return delivery.reassign(courier, by=by)
    if step == "unassign":
        return delivery.unassign(by=by)
    if step == "pick_up":
        return delivery.mark_picked_up(by=by)
    if step == "deliver":
        return delivery.mark_delivered(by=by, recipient_name="리순희")
    if step == "fail":
        return delivery.mark_failed(by=by, reason=Delivery.FailureReason.REFUSED)
    if step == "return":
        return delivery.mark_returned(by=by)
    if step == "choose_refund":
        return delivery.choose_refund(by=by)
    if step == "prepare":
        return delivery.mark_preparing(by=by)
    if step == "make_ready":
        return delivery.mark_ready(by=by)
    if step == "reslot":
        return delivery.reslot(factories.slot(service_=delivery.slot.service, starts_in=timedelta(days=1)), by=by)
    return delivery.cancel(by=by)


ALL = [(step, status) for step in Delivery.TRANSITIONS for status in S.values]
ALLOWED = [(step, status) for step, status in ALL if status in Delivery.TRANSITIONS[step].sources]
REFUSED = [(step, status) for step, status in ALL if status not in Delivery.TRANSITIONS[step].sources]


def test_the_table_has_the_issue_s_steps():
    assert len(ALLOWED) == 17
    assert ("make_ready", S.ASSIGNED) in ALLOWED, "the kitchen works while a courier is on the way"
    assert ("prepare", S.PICKED_UP) in REFUSED
    assert ("deliver", S.ASSIGNED) in REFUSED, "deliver before pickup"
    assert ("fail", S.ASSIGNED) in ALLOWED, "the seller could not hand it over"
    assert ("pick_up", S.DELIVERED) in REFUSED, "pickup of a delivered parcel"
    assert ("return", S.FAILED) in ALLOWED


@pytest.mark.parametrize(("step", "status"), ALLOWED)
def test_an_allowed_step_changes_the_status_and_records_who(world, make_delivery, other_courier, step, status):
    courier = world.courier if status == S.PENDING else other_courier
    delivery = make_delivery(status=status, courier=None if status == S.PENDING else world.courier)
    staff = factories.user()

    changed = take(delivery, step, by=staff, courier=other_courier if step == "reassign" else courier)

    transition = Delivery.TRANSITIONS[step]
    changed.refresh_from_db()
    target = transition.target or status  # a mark keeps the status
    assert changed.status == target
    if transition.stamp:
        assert getattr(changed, transition.stamp) is not None
    event = DeliveryEvent.objects.get(delivery=delivery)
    assert (event.from_status, event.to_status, event.by) == (status, target, staff)


@pytest.mark.parametrize(("step", "status"), REFUSED)
def test_a_refused_step_changes_nothing(world, make_delivery, step, status):
    delivery = make_delivery(status=status, courier=None if status == S.PENDING else world.courier)
    before = Delivery.objects.values().get(pk=delivery.pk)

    with pytest.raises(InvalidTransition):
        take(delivery, step, by=world.courier.user, courier=world.courier)

    assert Delivery.objects.values().get(pk=delivery.pk) == before
    assert not DeliveryEvent.objects.exists()


def test_the_full_road_stamps_each_step_and_keeps_the_timeline(world, make_delivery):
    delivery = make_delivery()
    delivery = delivery.assign(world.courier, by=None)
    delivery = delivery.mark_picked_up(by=world.courier.user)
    delivery = delivery.mark_failed(by=world.courier.user, reason=Delivery.FailureReason.NOBODY_HOME)
    delivery = delivery.mark_returned(by=world.courier.user)

    delivery.refresh_from_db()
    assert delivery.assigned_at <= delivery.picked_up_at <= delivery.failed_at <= delivery.returned_at
    assert delivery.failure_reason == "nobody_home"
    assert list(delivery.events.values_list("to_status", flat=True)) == [
        S.ASSIGNED, S.PICKED_UP, S.FAILED, S.RETURNED]


def test_each_kitchen_mark_is_taken_once_and_ready_is_never_undone(world, make_delivery):
    delivery = make_delivery(status=S.ASSIGNED, courier=world.courier)
    delivery = delivery.mark_ready(by=None)
    assert delivery.ready_at is not None and delivery.preparing_at is not None, "ready means it was prepared"
    for again in (delivery.mark_ready, delivery.mark_preparing):
        with pytest.raises(InvalidTransition):
            again(by=None)
    assert list(delivery.events.values_list("from_status", "to_status", "note")) == [
        (S.ASSIGNED, S.ASSIGNED, "ready")]


def test_a_kitchen_mark_on_a_row_that_moved_since_it_was_read_is_refused(world, make_delivery):
    stale = make_delivery()
    Delivery.objects.get(pk=stale.pk).assign(world.courier, by=None)
    with pytest.raises(InvalidTransition):
        stale.mark_preparing(by=None)
    assert Delivery.objects.get(pk=stale.pk).status == S.ASSIGNED, "the mark never puts back an old status"


def test_reassigning_and_unassigning_note_the_couriers(world, make_delivery, other_courier):
    delivery = make_delivery(status=S.ASSIGNED, courier=world.courier)
    delivery = delivery.reassign(other_courier, by=None)
    delivery = delivery.unassign(by=None)

    assert delivery.courier is None and delivery.assigned_at is None
    notes = list(delivery.events.values_list("note", flat=True))
    assert notes == [f"{world.courier} → {other_courier}", f"{other_courier} → —"]


def test_a_courier_of_another_service_is_refused(world, make_delivery):
    van = factories.service(districts=[world.district], name_en="Vans", vehicle="van")
    van_courier = factories.courier(service_=van)
    delivery = make_delivery()

    with pytest.raises(CourierNotInService):
        delivery.assign(van_courier, by=None)

    delivery.refresh_from_db()
    assert delivery.status == S.PENDING and delivery.courier is None


def test_the_database_wants_a_recipient_name_on_delivery(world, make_delivery):
    delivery = make_delivery(status=S.PICKED_UP, courier=world.courier)
    with pytest.raises(IntegrityError):
        delivery.mark_delivered(by=None, recipient_name="")
    delivery.refresh_from_db()
    assert delivery.status == S.PICKED_UP


@pytest.mark.parametrize("reason", ["", "bored"])
def test_an_unknown_reason_is_refused(world, make_delivery, reason):
    delivery = make_delivery(status=S.PICKED_UP, courier=world.courier)
    with pytest.raises(ValueError):
        delivery.mark_failed(by=None, reason=reason)
    delivery.refresh_from_db()
    assert delivery.status == S.PICKED_UP and not DeliveryEvent.objects.exists()


@pytest.mark.parametrize("fields", [
    {"failure_reason": "bored"}, {"fault": ""}, {"next_step": "later"},
    {"failure_reason": "other", "failure_note": ""},
])
def test_the_database_wants_a_known_reason_fault_and_step_on_failure(world, make_delivery, fields):
    delivery = make_delivery(status=S.FAILED, courier=world.courier, failure_note="")
    with pytest.raises(IntegrityError):
        Delivery.objects.filter(pk=delivery.pk).update(**fields)


@pytest.mark.parametrize(("reason", "fault", "step"), [
    ("nobody_home", "customer", "redeliver"),
    ("wrong_address", "customer", "redeliver"),
    ("refused", "customer", "refund"),
    ("damaged", "courier", "refund"),
    ("seller_short", "seller", "refund"),
    ("hot_food_late", "courier", "refund"),
    ("other", "nobody", "return"),
])
def test_each_reason_records_who_is_at_fault_and_the_next_step(world, make_delivery, reason, fault, step):
    delivery = make_delivery(status=S.PICKED_UP, courier=world.courier)

    delivery = delivery.mark_failed(by=world.courier.user, reason=reason, note="문이 잠겼음")

    delivery.refresh_from_db()
    assert (delivery.failure_reason, delivery.fault, delivery.next_step) == (reason, fault, step)
    assert delivery.failure_note == "문이 잠겼음"
    event = delivery.events.get()
    assert (event.failure_reason, event.fault, event.note) == (reason, fault, f"{reason}: 문이 잠겼음")


@pytest.mark.parametrize("reason", ["nobody_home", "wrong_address"])
def test_hot_food_and_a_second_redelivery_are_refunded_instead(world, make_delivery, reason):
    hot = make_delivery(status=S.PICKED_UP, courier=world.courier, hot=True)
    again = make_delivery(status=S.PICKED_UP, courier=world.courier, redeliveries=1)

    assert hot.mark_failed(by=None, reason=reason).next_step == "refund"
    assert again.mark_failed(by=None, reason=reason).next_step == "refund"


def test_reslot_moves_a_redelivery_to_the_new_slot_and_counts_it(world, make_delivery):
    delivery = make_delivery(status=S.FAILED, courier=world.courier, picked_up_at=timezone.now())
    later = factories.slot(service_=world.service, starts_in=timedelta(days=1))

    delivery = delivery.reslot(later, by=world.customer)

    assert (delivery.status, delivery.slot, delivery.courier, delivery.redeliveries) == (S.PENDING, later, None, 1)
    assert delivery.picked_up_at is None and delivery.fault == "customer", "the failure stays recorded"


@pytest.mark.parametrize("step", ["reslot", "choose_refund"])
def test_only_a_redelivery_can_be_reslotted_or_turned_into_a_refund(world, make_delivery, step):
    delivery = make_delivery(status=S.FAILED, courier=world.courier, next_step="refund")
    with pytest.raises(InvalidTransition):
        take(delivery, step, by=None, courier=world.courier)
    assert not DeliveryEvent.objects.exists()


def test_minutes_left_counts_down_to_the_promise(world, make_delivery):
    hot = make_delivery(hot=True, promised_by=timezone.now() + timedelta(minutes=20, seconds=30))
    late = make_delivery(hot=True, promised_by=timezone.now() - timedelta(minutes=5, seconds=30))
    assert hot.minutes_left == 20
    assert late.minutes_left == -6
    assert make_delivery().minutes_left is None


def test_a_courier_acting_on_a_row_read_before_a_reassignment_is_refused(world, make_delivery, other_courier):
    delivery = make_delivery(status=S.ASSIGNED, courier=world.courier)
    seen_by_first_courier = Delivery.objects.get(pk=delivery.pk)
    delivery.reassign(other_courier, by=None)

    with pytest.raises(InvalidTransition):
        seen_by_first_courier.mark_picked_up(by=world.courier.user)

    delivery.refresh_from_db()
    assert delivery.status == S.ASSIGNED and delivery.courier == other_courier
