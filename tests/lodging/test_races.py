"""Guests racing for rooms on real threads against PostgreSQL, and the
database refusing an oversold night whatever code writes it."""

import uuid
from datetime import timedelta

import pytest
from django.db import IntegrityError, connection, transaction

from lodging import services
from lodging.models import Reservation, RoomNight
from tests import factories
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
