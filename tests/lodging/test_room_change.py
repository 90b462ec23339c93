"""The front desk moves a guest in the house to another room type for the
nights left: the counters follow, and the price difference is refunded on
the stay's payment or charged to the card the guest gives at the desk."""

import re
from datetime import timedelta

import pytest
from django.apps import apps
from django.test import Client
from django.urls import reverse

from lodging import reconcile as stay_reconcile
from lodging import services
from lodging.models import Reservation, RoomChange, RoomNight
from lodging.roles import ensure_front_desk_group
from orders import reconcile
from payments.models import Payment
from payments.services import card_balances
from tests import factories
from tests.lodging.helpers import book

pytestmark = pytest.mark.django_db


@pytest.fixture
def desk_client(city):
    clerk = factories.user("desk", is_staff=True)
    clerk.groups.add(ensure_front_desk_group(apps))
    city.hotel.seller.staff.add(clerk)
    client = Client()
    client.force_login(clerk)
    return client


def checked_in(city, room):
    guest = Client()
    guest.force_login(city.guest)
    reservation = book(guest, room, city.today, city.today + timedelta(days=2), card=city.card)
    return services.check_in(reservation=reservation, by=None)


def url(reservation) -> str:
    return reverse("admin:lodging_reservation_change_room", args=[reservation.pk])


def move(client, reservation, room, **card):
    page = client.get(url(reservation), HTTP_ACCEPT_LANGUAGE="en")
    assert page.status_code == 200
    token = re.search(r'name="token" value="([0-9a-f-]+)"', page.content.decode()).group(1)
    return client.post(url(reservation), {"room_type": room.pk, "token": token, **card}, HTTP_ACCEPT_LANGUAGE="en")


def taken(room) -> dict:
    return dict(RoomNight.objects.filter(room_type=room).values_list("night", "taken"))


def books_balance():
    assert reconcile.problems() == {}
    assert stay_reconcile.problems() == {}


def test_a_cheaper_room_refunds_the_difference_for_the_nights_left(city, desk_client):
    reservation = checked_in(city, city.double)
    page = desk_client.get(url(reservation), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "₩40,000 to refund" in page
    answer = move(desk_client, reservation, city.single)
    assert answer.status_code == 302
    reservation.refresh_from_db()
    assert (reservation.room_type, reservation.room_name, reservation.total) == (city.single, city.single.name,
                                                                                 80_000)
    assert [price for _night, price in reservation.nightly] == [40_000, 40_000]
    assert Payment.objects.get(pk=reservation.payment_id).refunded == 40_000
    assert card_balances(city.card)["available"] == 2_000_000 - 80_000
    assert set(taken(city.double).values()) == {0} and set(taken(city.single).values()) == {1}
    event = reservation.events.last()
    assert (event.to_status, event.amount) == (Reservation.Status.CHECKED_IN, 40_000)
    books_balance()


def test_a_dearer_room_takes_the_guests_card_and_pin_for_the_difference(city, desk_client):
    reservation = checked_in(city, city.single)
    refused = move(desk_client, reservation, city.double)
    assert refused.status_code == 400
    assert "The new room costs more" in refused.content.decode()
    assert RoomChange.objects.count() == 0 and taken(city.double) == {}
    wrong = move(desk_client, reservation, city.double, number=city.card.number, pin="0000")
    assert wrong.status_code == 409 and RoomChange.objects.count() == 0
    answer = move(desk_client, reservation, city.double, number=city.card.number, pin=factories.PIN)
    assert answer.status_code == 302
    reservation.refresh_from_db()
    assert reservation.total == 120_000
    change = reservation.room_changes.get()
    assert (change.difference, change.payment.captured) == (40_000, 40_000)
    assert card_balances(city.card)["available"] == 2_000_000 - 120_000
    assert set(taken(city.single).values()) == {0} and set(taken(city.double).values()) == {1}
    books_balance()


def test_a_double_submit_moves_the_guest_once(city, desk_client):
    reservation = checked_in(city, city.double)
    page = desk_client.get(url(reservation)).content.decode()
    token = re.search(r'name="token" value="([0-9a-f-]+)"', page).group(1)
    for _ in range(2):
        desk_client.post(url(reservation), {"room_type": city.single.pk, "token": token})
    assert RoomChange.objects.count() == 1
    assert Payment.objects.get(pk=reservation.payment_id).refunded == 40_000
    books_balance()


def test_a_full_room_type_is_not_offered(city, desk_client):
    reservation = checked_in(city, city.double)
    RoomNight.objects.create(room_type=city.single, night=city.today + timedelta(days=1), rooms=1, taken=1)
    page = desk_client.get(url(reservation), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "Not free for every night left" in page
    answer = move(desk_client, reservation, city.single)
    assert answer.status_code == 400 and "Choose a room type from the list." in answer.content.decode()
    assert Reservation.objects.get(pk=reservation.pk).room_type == city.double


def test_only_a_guest_in_the_house_moves(city, desk_client):
    guest = Client()
    guest.force_login(city.guest)
    confirmed = book(guest, city.double, city.today, city.today + timedelta(days=1), card=city.card)
    assert "Move to another room type" not in desk_client.get(
        reverse("admin:lodging_reservation_change", args=[confirmed.pk])).content.decode()
    answer = move(desk_client, confirmed, city.single)
    assert answer.status_code == 302
    assert RoomChange.objects.count() == 0


def test_another_lodgings_guest_is_not_found(city, desk_client):
    reservation = checked_in(city, city.inn_room)
    assert desk_client.get(url(reservation)).status_code == 404
    assert desk_client.post(url(reservation), {"room_type": city.single.pk}).status_code == 404
