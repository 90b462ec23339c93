"""Guests racing for rooms on real threads against PostgreSQL, and the
database refusing an oversold night whatever code writes it."""

import threading
import uuid
from datetime import timedelta

import pytest
from django.core.cache import cache
from django.db import IntegrityError, connection, transaction
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from lodging import services
from lodging.models import Reservation, RoomNight
from tests import factories
from tests.lodging.helpers import stay_params
from tests.races import race

pytestmark = pytest.mark.django_db(transaction=True)


def holding(room, arrival, departure, user=None):
    user = user or factories.user()
    return lambda: services.hold_stay(
        user=user, room_type=room, arrival=arrival, departure=departure, guests=1, guest_names="x",
        arrival_time=None, requests="", token=uuid.uuid4(),
    )


def test_twenty_guests_for_the_last_room_make_one_booking(city):
    # Overlapping stays: each guest wants two nights starting on one of four days.
    calls = [
        holding(city.single, city.arrival + timedelta(days=n % 2), city.arrival + timedelta(days=n % 2 + 2))
        for n in range(20)
    ]
    results = race(*calls, expect=(services.SoldOut,))
    booked = [r for r in results if isinstance(r, Reservation)]
    refused = [r for r in results if isinstance(r, services.SoldOut)]
    assert len(booked) == 1 and len(refused) == 19, results
    assert Reservation.objects.count() == 1
    assert max(RoomNight.objects.filter(room_type=city.single).values_list("taken", flat=True)) == 1


def test_adjacent_stays_both_succeed(city):
    middle = city.arrival + timedelta(days=2)
    results = race(holding(city.single, city.arrival, middle), holding(city.single, middle, middle + timedelta(days=2)))
    assert all(isinstance(r, Reservation) for r in results), results
    assert set(RoomNight.objects.filter(room_type=city.single).values_list("taken", flat=True)) == {1}


def test_the_database_refuses_an_oversold_night(city):
    services.hold_stay(
        user=city.guest, room_type=city.single, arrival=city.arrival, departure=city.departure, guests=1,
        guest_names="x", arrival_time=None, requests="", token=uuid.uuid4(),
    )
    with pytest.raises(IntegrityError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("UPDATE lodging_roomnight SET taken = taken + 1 WHERE room_type_id = %s AND night = %s",
                       [city.single.pk, city.arrival])
    with pytest.raises(IntegrityError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("INSERT INTO lodging_roomnight (room_type_id, night, rooms, taken) VALUES (%s, %s, 1, 1)",
                       [city.single.pk, city.arrival])
    with pytest.raises(IntegrityError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("INSERT INTO lodging_roomnight (room_type_id, night, rooms, taken) VALUES (%s, %s, 1, 2)",
                       [city.single.pk, city.departure + timedelta(days=5)])
    assert RoomNight.objects.get(room_type=city.single, night=city.arrival).taken == 1


def test_a_search_built_while_a_booking_commits_is_not_served_after_it(city):
    """The search page is built from the committed rows while a booking
    that took the last single room is still open, and cached under the
    stays version of that moment. The booking's bump comes after its
    commit, so the next search is built afresh and no longer offers it."""
    taken, built, committed = threading.Event(), threading.Event(), threading.Event()
    params = stay_params(city.arrival, city.departure)

    def koryo() -> tuple[int, int]:
        page = Client().get(reverse("lodging:search"), params)
        assert page.status_code == 200 and "results" in page.context, "a page cached before the booking committed"
        return next((row["room"].pk, row["total"]) for row in page.context["results"]
                    if row["lodging"].slug == "koryo")

    def book_slowly():
        with transaction.atomic():
            reservation = holding(city.single, city.arrival, city.departure)()
            taken.set()
            assert built.wait(10)
        committed.set()
        return reservation

    def search_around():
        assert taken.wait(10)
        cache.clear()
        during = koryo()
        built.set()
        assert committed.wait(10)
        return during, koryo()

    reservation, (during, after) = race(book_slowly, search_around)
    assert isinstance(reservation, Reservation)
    assert during == (city.single.pk, 80_000)
    assert after == (city.double.pk, 120_000)


def test_two_runs_of_the_hold_job_at_once_expire_each_lapsed_hold_once(city):
    for room in (city.single, city.double):
        holding(room, city.arrival, city.departure)()
    Reservation.objects.update(hold_expires_at=timezone.now() - timedelta(seconds=1))
    released = race(services.release_expired_holds, services.release_expired_holds)
    assert sum(released) == 2, released
    assert set(Reservation.objects.values_list("status", flat=True)) == {Reservation.Status.EXPIRED}
    assert set(RoomNight.objects.values_list("taken", flat=True)) == {0}
