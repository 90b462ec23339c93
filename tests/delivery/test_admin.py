"""Staff in the admin: services with fees inline, slots with the week tool,
deliveries with filters, events inline and status changes only through the
model's steps."""

from datetime import date, datetime, timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from delivery.models import Delivery, DeliveryEvent, TimeSlot
from tests import factories

pytestmark = pytest.mark.django_db

S = Delivery.Status
WEEK = reverse("admin:delivery_timeslot_create_week")


@pytest.fixture
def staff_client(client, db):
    client.force_login(factories.user("boss", is_staff=True, is_superuser=True))
    return client


def week_form(world, **changes):
    return {"service": world.service.pk, "first_day": "2030-06-02", "day_starts": "09:00", "day_ends": "13:00",
            "minutes": "30", "capacity": "5", **changes}


def test_the_slot_list_links_to_the_week_tool(staff_client, world):
    page = staff_client.get(reverse("admin:delivery_timeslot_changelist")).content.decode()
    assert WEEK in page
    assert staff_client.get(WEEK).status_code == 200


def test_the_week_tool_creates_slots_once(staff_client, world):
    first = staff_client.post(WEEK, week_form(world))
    second = staff_client.post(WEEK, week_form(world))

    assert first.status_code == second.status_code == 302
    created = TimeSlot.objects.filter(service=world.service, starts_at__date__gte=date(2030, 6, 2))
    assert created.count() == 7 * 8
    assert set(created.values_list("capacity", flat=True)) == {5}


@pytest.mark.parametrize("changes", [
    {"day_ends": "08:00"}, {"minutes": "0"}, {"capacity": "-1"}, {"service": "999999"}, {"first_day": "soon"},
    {"day_starts": "25:00"},
])
def test_the_week_tool_answers_400_to_bad_input(staff_client, world, changes):
    before = TimeSlot.objects.count()
    response = staff_client.post(WEEK, week_form(world, **changes))
    assert response.status_code == 400
    assert TimeSlot.objects.count() == before


def test_the_week_tool_needs_the_add_permission(client, world):
    client.force_login(factories.user(is_staff=True))
    assert client.get(WEEK).status_code == 403
    assert client.post(WEEK, week_form(world)).status_code == 403
    assert TimeSlot.objects.count() == 1


def test_a_service_shows_its_districts_and_fees_inline(staff_client, world):
    page = staff_client.get(reverse("admin:delivery_transportservice_change", args=[world.service.pk]))
    assert page.status_code == 200
    assert 'name="areas-0-fee"' in page.content.decode() and 'value="1000"' in page.content.decode()


@pytest.mark.parametrize("query", [
    "status__exact=assigned", "slot__service__id__exact=SERVICE", "district__id__exact=DISTRICT",
    "courier__id__exact=COURIER", "slot__starts_at__lt=2030-01-01+00:00:00%2B09:00",
])
def test_deliveries_filter_by_status_service_district_courier_and_date(staff_client, world, make_delivery, query):
    shown = make_delivery(status=S.ASSIGNED, courier=world.courier)
    elsewhere = factories.district()
    other_service = factories.service(districts=[elsewhere], name_en="Vans", vehicle="van")
    far = factories.slot(service_=other_service, starts_in=date(2031, 1, 1) - date.today())
    make_delivery(slot=far, district=elsewhere)
    query = (query.replace("SERVICE", str(world.service.pk)).replace("DISTRICT", str(world.district.pk))
             .replace("COURIER", str(world.courier.pk)))
    response = staff_client.get(reverse("admin:delivery_delivery_changelist") + "?" + query)
    assert response.status_code == 200
    assert shown.order.number in response.content.decode()
    assert list(response.context["cl"].queryset) == [shown]


def test_a_delivery_page_shows_events_and_no_status_field(staff_client, world, make_delivery):
    delivery = make_delivery().assign(world.courier, by=None)
    page = staff_client.get(reverse("admin:delivery_delivery_change", args=[delivery.pk])).content.decode()
    assert 'name="status"' not in page and 'name="courier"' not in page
    assert "events-TOTAL_FORMS" in page


def test_posting_the_change_form_changes_no_status(staff_client, world, make_delivery):
    delivery = make_delivery()
    staff_client.post(reverse("admin:delivery_delivery_change", args=[delivery.pk]), {
        "status": "delivered", "courier": world.courier.pk, "events-TOTAL_FORMS": "0",
        "events-INITIAL_FORMS": "0"})
    delivery.refresh_from_db()
    assert delivery.status == S.PENDING and delivery.courier is None


def test_the_unassign_and_returned_actions_use_the_steps(staff_client, world, make_delivery):
    assigned = make_delivery(status=S.ASSIGNED, courier=world.courier)
    failed = make_delivery(status=S.FAILED, courier=world.courier)
    changelist = reverse("admin:delivery_delivery_changelist")

    staff_client.post(changelist, {"action": "unassign", "_selected_action": [assigned.pk]})
    staff_client.post(changelist, {"action": "mark_returned", "_selected_action": [failed.pk]})

    assigned.refresh_from_db()
    failed.refresh_from_db()
    assert assigned.status == S.PENDING and failed.status == S.RETURNED
    assert DeliveryEvent.objects.count() == 2


def test_an_action_that_does_not_fit_changes_nothing(staff_client, world, make_delivery):
    failed = make_delivery(status=S.FAILED, courier=world.courier)
    picked = make_delivery(status=S.PICKED_UP, courier=world.courier)

    response = staff_client.post(reverse("admin:delivery_delivery_changelist"), {
        "action": "mark_returned", "_selected_action": [failed.pk, picked.pk]}, follow=True)

    assert response.status_code == 200
    failed.refresh_from_db()
    assert failed.status == S.FAILED and not DeliveryEvent.objects.exists()


def test_the_delivery_list_and_its_filters_run_a_fixed_number_of_queries(staff_client, world, make_delivery):
    changelist = reverse("admin:delivery_delivery_changelist")

    def count_queries():
        with CaptureQueriesContext(connection) as queries:
            assert staff_client.get(changelist).status_code == 200
        return len(queries)

    make_delivery(status=S.ASSIGNED, courier=world.courier)
    few = count_queries()
    for _ in range(5):
        make_delivery(status=S.ASSIGNED, courier=factories.courier(service_=world.service))
    assert count_queries() == few


def test_a_slot_s_capacity_cannot_go_below_its_bookings(staff_client, world):
    world.slot.booked = 4
    world.slot.save()
    url = reverse("admin:delivery_timeslot_change", args=[world.slot.pk])
    form = {"service": world.service.pk, "starts_at_0": "2030-06-02", "starts_at_1": "10:00",
            "ends_at_0": "2030-06-02", "ends_at_1": "10:30"}

    refused = staff_client.post(url, {**form, "capacity": "3"})
    accepted = staff_client.post(url, {**form, "capacity": "4"})

    assert refused.status_code == 200 and refused.context["adminform"].form.errors
    assert accepted.status_code == 302
    world.slot.refresh_from_db()
    assert (world.slot.capacity, world.slot.booked) == (4, 4)


def test_the_slot_action_opens_the_week_form_filled_from_the_selection(staff_client, world):
    start = timezone.make_aware(datetime(2030, 6, 2, 9, 0))
    slots = [TimeSlot.objects.create(service=world.service, starts_at=start + timedelta(hours=h),
                                     ends_at=start + timedelta(hours=h, minutes=45), capacity=6) for h in (0, 3)]

    response = staff_client.post(reverse("admin:delivery_timeslot_changelist"), {
        "action": "create_week_like", "_selected_action": [slot.pk for slot in slots]}, follow=True)

    form = response.context["form"]
    assert response.redirect_chain[-1][0].startswith(WEEK)
    assert {key: str(form.initial[key]) for key in ("service", "first_day", "day_starts", "day_ends", "minutes",
                                                    "capacity")} == {
        "service": str(world.service.pk), "first_day": "2030-06-03", "day_starts": "09:00", "day_ends": "12:45",
        "minutes": "45", "capacity": "6"}
