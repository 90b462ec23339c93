"""Slots: which ones checkout offers (hot food, opening hours), booking under
racing checkouts, and a week of slots created by the service."""

from datetime import date, datetime, time, timedelta

import pytest
from django.utils import timezone

from catalog import hours
from delivery import booking
from delivery.models import TimeSlot
from tests import factories
from tests.races import race

pytestmark = pytest.mark.django_db

# Fixed "now" in Pyongyang local time, so opening hours are predictable.
NOW = timezone.make_aware(datetime(2030, 5, 1, 12, 0))


def at(hour, minute=0, *, minutes=30, service=None, capacity=10, booked=0):
    start = timezone.make_aware(datetime(2030, 5, 1, hour, minute))
    return TimeSlot.objects.create(service=service, starts_at=start, ends_at=start + timedelta(minutes=minutes),
                                   capacity=capacity, booked=booked)


def kitchens(*sellers, now):
    return hours.schedules([seller.pk for seller in sellers], around=now).values()


def offered(world, **kwargs):
    return set(booking.open_slots(district=world.district, now=NOW, **kwargs).values_list("pk", flat=True))


def test_without_hot_food_every_future_slot_with_room_is_offered(world):
    TimeSlot.objects.all().delete()
    past = at(11, service=world.service)
    soon = at(12, 10, service=world.service)
    full = at(13, service=world.service, capacity=2, booked=2)
    evening = at(20, minutes=120, service=world.service)
    other_district = factories.service(districts=[factories.district()], name_en="Elsewhere")
    at(14, service=other_district)
    inactive = factories.service(districts=[world.district], name_en="Stopped", is_active=False)
    at(14, service=inactive)

    assert offered(world, fresh_minutes=None) == {soon.pk, evening.pk}
    assert past.pk and full.pk


def test_hot_food_needs_the_kitchen_s_lead_time_a_short_slot_and_a_near_time(world):
    TimeSlot.objects.all().delete()
    too_soon = at(12, 20, service=world.service)
    ready = at(12, 30, service=world.service)
    too_long = at(13, minutes=60, service=world.service)
    fits_exactly = at(14, minutes=40, service=world.service)
    too_far = at(16, 30, service=world.service)

    assert offered(world, fresh_minutes=40) == {ready.pk, fits_exactly.pk}
    assert too_soon.pk and too_long.pk and too_far.pk


def test_hot_food_is_offered_only_while_the_restaurant_cooks(world):
    TimeSlot.objects.all().delete()
    slots = {hour: at(hour, service=world.service) for hour in (13, 14, 15)}
    now = timezone.make_aware(datetime(2030, 5, 1, 11, 0))
    restaurant = factories.seller(kind="restaurant", hours=(time(13, 30), time(15)))
    unbounded = factories.seller(kind="restaurant")

    chosen = set(booking.open_slots(district=world.district, fresh_minutes=30,
                                    kitchens=kitchens(restaurant, unbounded, now=now), now=now)
                 .values_list("pk", flat=True))

    # 13:00 is before it opens; 14:00 leaves it 30 minutes to cook; 15:00 is closing time.
    assert chosen == {slots[14].pk, slots[15].pk}


def test_a_restaurant_open_past_midnight_cooks_in_the_evening_and_after_midnight(world):
    TimeSlot.objects.all().delete()
    start = timezone.make_aware(datetime(2030, 5, 1, 22, 0))
    slots = [TimeSlot.objects.create(service=world.service, starts_at=start + timedelta(hours=h),
                                     ends_at=start + timedelta(hours=h, minutes=30), capacity=5) for h in range(4)]
    late_night = factories.seller(kind="restaurant", hours=(time(23), time(0, 30)))

    chosen = set(booking.open_slots(district=world.district, fresh_minutes=30, kitchens=kitchens(late_night, now=start),
                                     now=start - timedelta(hours=1)).values_list("pk", flat=True))

    # 22:00 closed, 23:00 still cooking, 00:00 open, 01:00 closed.
    assert chosen == {slots[2].pk}


@pytest.mark.django_db(transaction=True)
def test_ten_racing_bookings_of_a_slot_for_three_get_exactly_three(world):
    slot = factories.slot(service_=world.service, capacity=3)

    def book():
        try:
            booking.book_slot(slot_id=slot.pk, count=1)
        except booking.SlotFull:
            return "full"
        return "booked"

    results = race(*[book] * 10)

    assert results.count("booked") == 3 and results.count("full") == 7
    slot.refresh_from_db()
    assert slot.booked == 3


def test_a_booking_larger_than_the_room_left_takes_nothing(world):
    slot = factories.slot(service_=world.service, capacity=3, booked=2)
    with pytest.raises(booking.SlotFull):
        booking.book_slot(slot_id=slot.pk, count=2)
    slot.refresh_from_db()
    assert slot.booked == 2


def test_a_week_of_slots_fills_the_days_and_a_second_run_adds_nothing(world):
    first_day = date(2030, 6, 2)
    week = {"service": world.service, "first_day": first_day, "day_starts": time(9), "day_ends": time(12, 15),
            "minutes": 60, "capacity": 4}

    created = booking.create_week_of_slots(**week)
    again = booking.create_week_of_slots(**week)

    assert (created, again) == (21, 0)
    slots = TimeSlot.objects.filter(service=world.service, starts_at__date__gte=first_day)
    assert slots.count() == 21
    first = slots.order_by("starts_at").first()
    assert timezone.localtime(first.starts_at).time() == time(9) and first.capacity == 4
    last = slots.order_by("starts_at").last()
    assert timezone.localtime(last.ends_at) == timezone.make_aware(datetime(2030, 6, 8, 12))


def test_a_week_of_slots_leaves_out_times_that_overlap_existing_slots(world):
    start = timezone.make_aware(datetime(2030, 6, 2, 10, 30))
    TimeSlot.objects.create(service=world.service, starts_at=start, ends_at=start + timedelta(hours=1), capacity=1)

    created = booking.create_week_of_slots(service=world.service, first_day=date(2030, 6, 2), day_starts=time(9),
                                            day_ends=time(13), minutes=60, capacity=4, days=1)

    # 09-10 and 12-13 fit; 10-11 and 11-12 overlap 10:30-11:30.
    assert created == 2


def test_a_kitchen_cooks_by_its_weekday_hours_and_not_on_a_closed_day(world):
    TimeSlot.objects.all().delete()
    # 2030-05-01 is a Wednesday; the kitchen opens 14:00–16:00 on Wednesdays only.
    wednesday_slot = at(15, service=world.service)
    kitchen = factories.seller(kind="restaurant")
    factories.opening_hours(kitchen, time(14), time(16), weekdays=[2])
    thursday = NOW + timedelta(days=1)
    TimeSlot.objects.create(service=world.service, starts_at=thursday + timedelta(hours=3),
                            ends_at=thursday + timedelta(hours=3, minutes=30), capacity=5)

    assert offered(world, fresh_minutes=30, kitchens=kitchens(kitchen, now=NOW)) == {wednesday_slot.pk}
    assert set(booking.open_slots(district=world.district, fresh_minutes=30, now=thursday,
                                  kitchens=kitchens(kitchen, now=thursday)).values_list("pk", flat=True)) == set()
    kitchen.closed_days.create(date=date(2030, 5, 1))
    assert offered(world, fresh_minutes=30, kitchens=kitchens(kitchen, now=NOW)) == set()
