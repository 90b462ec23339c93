"""The front desk in the admin: a hotel's staff see only their own lodging
and its reservations; check-in, check-out and no-show from the list."""

from datetime import timedelta

import pytest
from django.apps import apps
from django.test import Client
from django.urls import reverse

from lodging.models import Reservation, RoomNight
from lodging.roles import ensure_front_desk_group
from payments.models import Payment
from tests import factories
from tests.lodging.helpers import book

pytestmark = pytest.mark.django_db


@pytest.fixture
def desk_client(client, city):
    clerk = factories.user("desk", is_staff=True)
    clerk.groups.add(ensure_front_desk_group(apps))
    city.hotel.seller.staff.add(clerk)
    client.force_login(clerk)
    return client


@pytest.fixture
def bookings(city):
    client = Client()
    client.force_login(city.guest)
    today = city.today
    return {
        "hotel": book(client, city.double, today, today + timedelta(days=2), card=city.card),
        "inn": book(client, city.inn_room, today, today + timedelta(days=1), card=city.card),
    }


def test_hotel_staff_see_only_their_own_reservations(bookings, desk_client):
    page = desk_client.get(reverse("admin:lodging_reservation_changelist"))
    assert page.status_code == 200
    assert bookings["hotel"].code in page.content.decode()
    assert bookings["inn"].code not in page.content.decode()
    other = desk_client.get(reverse("admin:lodging_reservation_change", args=[bookings["inn"].pk]))
    assert other.status_code == 302
    lodgings = desk_client.get(reverse("admin:lodging_lodging_changelist")).content.decode()
    assert "Koryo Hotel" in lodgings and "Riverside Inn" not in lodgings


def test_todays_arrivals_are_listed(bookings, desk_client):
    page = desk_client.get(reverse("admin:lodging_reservation_changelist"), {"today": "arrivals"})
    assert bookings["hotel"].code in page.content.decode()


def act(client, action, reservation):
    return client.post(reverse("admin:lodging_reservation_changelist"), {
        "action": action, "_selected_action": [reservation.pk],
    })


def test_check_in_then_early_check_out_frees_the_nights_left(bookings, desk_client, city):
    reservation = bookings["hotel"]
    act(desk_client, "check_in", reservation)
    assert Reservation.objects.get(pk=reservation.pk).status == Reservation.Status.CHECKED_IN
    act(desk_client, "check_out", reservation)
    assert Reservation.objects.get(pk=reservation.pk).status == Reservation.Status.CHECKED_OUT
    taken = dict(RoomNight.objects.filter(room_type=city.double).values_list("night", "taken"))
    assert taken == {city.today: 0, city.today + timedelta(days=1): 0}


def test_a_no_show_takes_the_penalty_from_the_admin(bookings, desk_client):
    reservation = bookings["hotel"]
    act(desk_client, "mark_no_show", reservation)
    assert Reservation.objects.get(pk=reservation.pk).status == Reservation.Status.NO_SHOW
    # The policy's no-show charge is 100%: nothing goes back.
    assert Payment.objects.get(pk=reservation.payment_id).refunded == 0


def test_staff_cannot_act_on_another_lodgings_reservation(bookings, desk_client):
    act(desk_client, "check_in", bookings["inn"])
    assert Reservation.objects.get(pk=bookings["inn"].pk).status == Reservation.Status.CONFIRMED


def test_a_refused_move_is_reported_not_raised(bookings, desk_client):
    act(desk_client, "check_out", bookings["hotel"])
    assert Reservation.objects.get(pk=bookings["hotel"].pk).status == Reservation.Status.CONFIRMED


def test_bureau_staff_see_every_lodging(bookings, staff_client):
    page = staff_client.get(reverse("admin:lodging_reservation_changelist")).content.decode()
    assert bookings["hotel"].code in page and bookings["inn"].code in page
    for name in ("lodging", "roomtype"):
        assert staff_client.get(reverse(f"admin:lodging_{name}_add")).status_code == 200


def test_a_lodging_picture_goes_through_the_image_pipeline(desk_client, city, media_root):
    from tests.catalog.images import image_upload

    url = reverse("admin:lodging_lodging_change", args=[city.hotel.pk])
    form = {
        "seller": city.hotel.seller_id, "kind": "hotel", "slug": "koryo", "name_ko": "고려호텔",
        "name_en": "Koryo Hotel",
        "district": city.centre.pk, "address": "동흥동", "check_in_from": "14:00", "check_out_until": "12:00",
        "amenities": "wifi", "free_cancel_days": 3, "cancel_percent": 50, "no_show_percent": 100, "is_active": "on",
        "room_types-TOTAL_FORMS": 0, "room_types-INITIAL_FORMS": 0,
        "closures-TOTAL_FORMS": 0, "closures-INITIAL_FORMS": 0,
    }
    huge = image_upload("huge.png", size=(6000, 4100), mode="1")
    refused = desk_client.post(url, {**form, "image": huge}, HTTP_ACCEPT_LANGUAGE="en")
    assert refused.status_code == 200 and "more than 24 million pixels" in refused.content.decode()
    city.hotel.refresh_from_db()
    assert not city.hotel.image
    saved = desk_client.post(url, {**form, "image": image_upload(size=(700, 500))})
    assert saved.status_code == 302
    city.hotel.refresh_from_db()
    assert city.hotel.thumbnails["widths"] == [160, 320, 640]
    assert city.hotel.image.name.endswith(".jpg")


def test_occupancy_by_night_shows_only_their_own_rooms(bookings, desk_client, city):
    page = desk_client.get(reverse("admin:lodging_roomnight_changelist"))
    assert page.status_code == 200
    assert list(page.context["cl"].result_list) == list(RoomNight.objects.filter(room_type=city.double))


def test_rooms_already_booked_cannot_be_removed(bookings, city):
    from django.core.exceptions import ValidationError

    city.double.room_count = 0
    with pytest.raises(ValidationError):
        city.double.full_clean()
    city.double.room_count = 4
    city.double.full_clean()
    city.double.save()
    assert set(RoomNight.objects.filter(room_type=city.double).values_list("rooms", flat=True)) == {4}


def test_todays_departures_are_listed(bookings, desk_client, city):
    leaving = bookings["hotel"]
    Reservation.objects.filter(pk=leaving.pk).update(arrival=city.today - timedelta(days=1), departure=city.today)
    page = desk_client.get(reverse("admin:lodging_reservation_changelist"), {"today": "departures"})
    assert [r.code for r in page.context["cl"].result_list] == [leaving.code]
    arriving = desk_client.get(reverse("admin:lodging_reservation_changelist"), {"today": "arrivals"})
    assert list(arriving.context["cl"].result_list) == []


def test_an_early_departure_frees_only_the_nights_not_slept(bookings, desk_client, city):
    reservation = bookings["hotel"]
    Reservation.objects.filter(pk=reservation.pk).update(arrival=city.today - timedelta(days=1))
    RoomNight.objects.create(room_type=city.double, night=city.today - timedelta(days=1), rooms=5, taken=1)
    act(desk_client, "check_in", reservation)
    act(desk_client, "check_out", reservation)
    taken = dict(RoomNight.objects.filter(room_type=city.double).values_list("night", "taken"))
    assert taken == {city.today - timedelta(days=1): 1, city.today: 0, city.today + timedelta(days=1): 0}
    # Leaving early is not a cancellation: the stay's money stays paid.
    assert Payment.objects.get(pk=reservation.payment_id).refunded == 0
