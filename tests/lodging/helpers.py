"""Booking through the pages, as a guest does."""

from django.urls import reverse

from lodging.models import Reservation
from tests import factories
from tests.lodging.conftest import token_of


def reserve_url(room) -> str:
    return reverse("lodging:reserve", args=[room.lodging.slug, room.pk])


def stay_params(arrival, departure, guests=1) -> dict:
    return {"arrival": arrival.isoformat(), "departure": departure.isoformat(), "guests": str(guests)}


def hold(client, room, arrival, departure, *, guests=1, language="ko"):
    page = client.get(reserve_url(room), stay_params(arrival, departure, guests))
    assert page.status_code == 200
    return client.post(reserve_url(room), {
        **stay_params(arrival, departure, guests), "token": token_of(page), "guest_names": "김영호",
        "arrival_time": "15:00", "requests": "",
    }, HTTP_ACCEPT_LANGUAGE=language)


def book(client, room, arrival, departure, *, card, guests=1, language="ko") -> Reservation:
    held = hold(client, room, arrival, departure, guests=guests, language=language)
    assert held.status_code == 302, held.content.decode()
    code = held["Location"].rstrip("/").split("/")[-2]
    paid = client.post(reverse("lodging:pay", args=[code]), {"card": str(card.pk), "pin": factories.PIN})
    assert paid.status_code == 302, paid.content.decode()
    return Reservation.objects.get(code=code)
