"""Reserving and paying through the pages: the hold, the capture, the
confirmation, and a double submit that books once."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from lodging import tasks
from lodging.models import Reservation, RoomNight
from payments.models import Payment
from tests import factories
from tests.lodging.conftest import token_of
from tests.lodging.helpers import book, hold, reserve_url, stay_params

pytestmark = pytest.mark.django_db


def test_it_books_and_captures_the_total(guest_client, city):
    reservation = book(guest_client, city.double, city.arrival, city.departure, card=city.card, guests=3)
    assert reservation.status == Reservation.Status.CONFIRMED
    # Two nights at 60,000 plus one guest above the two included at 10,000.
    assert reservation.total == 2 * (60_000 + 10_000)
    assert [price for _night, price in reservation.nightly] == [70_000, 70_000]
    payment = Payment.objects.get()
    assert (payment.status, payment.captured) == (Payment.Status.CAPTURED, 140_000)
    assert reservation.payment == payment
    assert (reservation.free_cancel_days, reservation.cancel_percent, reservation.no_show_percent) == (3, 50, 100)
    taken = dict(RoomNight.objects.filter(room_type=city.double).values_list("night", "taken"))
    assert taken == {city.arrival: 1, city.arrival + timedelta(days=1): 1}
    page = guest_client.get(reservation.get_absolute_url())
    assert page.status_code == 200
    assert "140,000" in page.content.decode()
    assert [e.to_status for e in reservation.events.all()] == ["held", "confirmed"]


def test_the_confirmation_prints_the_booking(guest_client, city):
    reservation = book(guest_client, city.single, city.arrival, city.departure, card=city.card)
    page = guest_client.get(reverse("lodging:confirmation", args=[reservation.code]))
    assert page.status_code == 200
    assert reservation.code in page.content.decode()
    assert city.card.number[-4:] in page.content.decode()


def test_a_double_submitted_hold_makes_one_reservation(guest_client, city):
    page = guest_client.get(reserve_url(city.double), stay_params(city.arrival, city.departure))
    form = {**stay_params(city.arrival, city.departure), "token": token_of(page), "guest_names": "김영호"}
    first = guest_client.post(reserve_url(city.double), form)
    second = guest_client.post(reserve_url(city.double), form)
    assert first["Location"] == second["Location"]
    assert Reservation.objects.count() == 1
    assert RoomNight.objects.get(room_type=city.double, night=city.arrival).taken == 1


def test_a_double_submitted_payment_pays_once(guest_client, city):
    held = hold(guest_client, city.double, city.arrival, city.departure)
    code = Reservation.objects.get().code
    for _ in range(2):
        answer = guest_client.post(reverse("lodging:pay", args=[code]), {"card": str(city.card.pk), "pin": "1234"})
        assert answer.status_code == 302
    assert held.status_code == 302
    assert Payment.objects.count() == 1
    assert Reservation.objects.get().status == Reservation.Status.CONFIRMED


def test_a_wrong_pin_keeps_the_hold_and_says_why(guest_client, city):
    hold(guest_client, city.double, city.arrival, city.departure)
    code = Reservation.objects.get().code
    answer = guest_client.post(reverse("lodging:pay", args=[code]), {"card": str(city.card.pk), "pin": "9999"},
                               HTTP_ACCEPT_LANGUAGE="en")
    assert answer.status_code == 409
    assert "The PIN is wrong." in answer.content.decode()
    assert Reservation.objects.get().status == Reservation.Status.HELD
    assert not Payment.objects.exists()


def test_an_expired_hold_no_longer_counts_and_cannot_be_paid(guest_client, city):
    hold(guest_client, city.single, city.arrival, city.departure)
    held = Reservation.objects.get()
    Reservation.objects.filter(pk=held.pk).update(hold_expires_at=timezone.now() - timedelta(seconds=1))
    # Someone else takes the single room the expired hold had.
    other = factories.user()
    factories.card(owner=other)
    guest_client.force_login(other)
    second = book(guest_client, city.single, city.arrival, city.departure, card=other.cards.get())
    assert second.status == Reservation.Status.CONFIRMED
    assert Reservation.objects.get(pk=held.pk).status == Reservation.Status.EXPIRED
    assert RoomNight.objects.get(room_type=city.single, night=city.arrival).taken == 1
    guest_client.force_login(city.guest)
    answer = guest_client.post(reverse("lodging:pay", args=[held.code]), {"card": str(city.card.pk), "pin": "1234"})
    assert answer.status_code == 302
    assert Payment.objects.count() == 1


def test_a_hold_past_its_minutes_is_released_when_paid_late(guest_client, city):
    hold(guest_client, city.single, city.arrival, city.departure)
    held = Reservation.objects.get()
    Reservation.objects.filter(pk=held.pk).update(hold_expires_at=timezone.now() - timedelta(seconds=1))
    answer = guest_client.post(reverse("lodging:pay", args=[held.code]), {"card": str(city.card.pk), "pin": "1234"})
    assert answer.status_code == 302
    assert Reservation.objects.get().status == Reservation.Status.EXPIRED
    assert RoomNight.objects.get(room_type=city.single, night=city.arrival).taken == 0
    assert not Payment.objects.exists()


def test_the_periodic_job_gives_back_the_nights_of_lapsed_holds_once(guest_client, city):
    hold(guest_client, city.single, city.arrival, city.departure)
    hold(guest_client, city.double, city.arrival, city.departure)
    lapsed, running = Reservation.objects.order_by("pk")
    Reservation.objects.filter(pk=lapsed.pk).update(hold_expires_at=timezone.now() - timedelta(seconds=1))
    assert tasks.release_expired_stay_holds(timestamp=0) == 1
    assert tasks.release_expired_stay_holds(timestamp=0) == 0
    assert dict(Reservation.objects.values_list("pk", "status")) == {
        lapsed.pk: Reservation.Status.EXPIRED, running.pk: Reservation.Status.HELD}
    assert RoomNight.objects.get(room_type=city.single, night=city.arrival).taken == 0
    assert RoomNight.objects.get(room_type=city.double, night=city.arrival).taken == 1


def test_someone_elses_reservation_is_not_found(guest_client, city):
    reservation = book(guest_client, city.double, city.arrival, city.departure, card=city.card)
    guest_client.force_login(factories.user())
    for name in ("reservation", "pay", "confirmation", "cancel"):
        assert guest_client.get(reverse(f"lodging:{name}", args=[reservation.code])).status_code == 404
    assert guest_client.post(reverse("lodging:cancel", args=[reservation.code]), {"refund": "0"}).status_code == 404


def test_reservations_are_listed_beside_orders(guest_client, city):
    reservation = book(guest_client, city.double, city.arrival, city.departure, card=city.card)
    assert reverse("lodging:reservations") in guest_client.get(reverse("orders:list")).content.decode()
    page = guest_client.get(reverse("lodging:reservations"))
    assert reservation.code in page.content.decode()


@pytest.mark.parametrize(("change", "message"), [
    ({"guests": "4"}, "This room takes at most 3 guests."),
    ({"departure": "+10"}, "The departure must come after the arrival."),
    ({"departure": "+9"}, "The departure must come after the arrival."),
    ({"departure": "+410"}, "A stay is at most 30 nights."),
    ({"arrival": "-1"}, "The arrival date has passed."),
    ({"arrival": "+380", "departure": "+382"}, "Stays can be booked up to"),
    ({"arrival": "soon"}, "Enter a date as YYYY-MM-DD."),
    ({"guests": "two"}, "Enter a whole number."),
    ({"guest_names": ""}, "This field is required."),
    ({"arrival_time": "25:99"}, "Enter a time as HH:MM."),
    ({"token": "not-a-token"}, "This form has expired. Start again."),
    ({"requests": "x" * 1001}, "Ensure this value has at most 1000 characters"),
])
def test_bad_reservation_input_is_refused_and_nothing_written(guest_client, city, change, message):
    page = guest_client.get(reserve_url(city.double), stay_params(city.arrival, city.departure))
    form = {"arrival": "+10", "departure": "+12", "guests": "2", "token": token_of(page), "guest_names": "김영호",
            **change}
    for key in ("arrival", "departure"):
        if form[key][0] in "+-":
            form[key] = (city.today + timedelta(days=int(form[key]))).isoformat()
    answer = guest_client.post(reserve_url(city.double), form, HTTP_ACCEPT_LANGUAGE="en")
    assert answer.status_code == 400
    assert message in answer.content.decode()
    assert not Reservation.objects.exists() and not RoomNight.objects.exists()


def test_a_closed_room_type_cannot_be_held(guest_client, city):
    from lodging.models import Closure

    Closure.objects.create(lodging=city.hotel, room_type=city.double, starts_on=city.departure - timedelta(days=1),
                           ends_on=city.departure)
    answer = hold(guest_client, city.double, city.arrival, city.departure, language="en")
    assert answer.status_code == 409
    assert "This room cannot be booked for these dates." in answer.content.decode()
    assert not Reservation.objects.exists()


def test_the_last_room_taken_meanwhile_is_a_clear_refusal(guest_client, city):
    RoomNight.objects.create(room_type=city.single, night=city.arrival, rooms=1, taken=1)
    answer = hold(guest_client, city.single, city.arrival, city.departure, language="en")
    assert answer.status_code == 409
    assert "Someone has just booked the last room" in answer.content.decode()
    assert not Reservation.objects.exists()
    assert RoomNight.objects.get(room_type=city.single, night=city.arrival).taken == 1


def test_an_unknown_room_is_not_found(guest_client, city):
    assert guest_client.get(reverse("lodging:reserve", args=["inn", city.double.pk])).status_code == 404
