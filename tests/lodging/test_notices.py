"""A guest hears of their stay: booked, cancelled with the refund, and the
day before arrival, each once, in the guest's language, in the inbox and
by text message."""

from datetime import timedelta

import pytest
from django.test import Client
from django.urls import reverse

from lodging import services, tasks
from okryu.notices.models import Event, Notice, SmsMessage
from tests.lodging.helpers import book

pytestmark = pytest.mark.django_db


@pytest.fixture
def guest_client(city):
    """A guest with a phone, browsing in English (the language notices use
    is the one the guest used last)."""
    city.guest.phone = "010-1234-5678"
    city.guest.save(update_fields=["phone"])
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(city.guest)
    return client


def texts(event) -> list[tuple[str, str]]:
    return [(notice.text, sms.text) for notice, sms in zip(Notice.objects.filter(event=event),
                                                           SmsMessage.objects.filter(event=event), strict=True)]


def test_a_paid_stay_tells_the_guest_once(guest_client, city):
    reservation = book(guest_client, city.double, city.arrival, city.departure, card=city.card, language="en")
    [(inbox, sms)] = texts(Event.STAY_BOOKED)
    assert reservation.code in inbox and "Koryo Hotel" in inbox and "₩120,000" in inbox
    assert sms.startswith("[Okryu]") and reservation.code in sms
    assert Notice.objects.get(event=Event.STAY_BOOKED).link == reservation.get_absolute_url()
    # Paying again changes nothing, and tells nobody twice.
    guest_client.post(reverse("lodging:pay", args=[reservation.code]), {"card": str(city.card.pk), "pin": "1234"})
    assert len(texts(Event.STAY_BOOKED)) == 1


def test_a_cancelled_stay_says_what_goes_back(guest_client, city):
    reservation = book(guest_client, city.double, city.today + timedelta(days=2), city.today + timedelta(days=4),
                       card=city.card, language="en")
    guest_client.post(reverse("lodging:cancel", args=[reservation.code]), {"refund": "60000"})
    [(inbox, sms)] = texts(Event.STAY_CANCELLED)
    assert "₩60,000 goes back to your e-card" in inbox and "₩60,000" in sms


def test_the_korean_guest_reads_korean(city):
    client = Client(HTTP_ACCEPT_LANGUAGE="ko")
    client.force_login(city.guest)
    city.guest.phone = "010-1234-5678"
    city.guest.save(update_fields=["phone"])
    book(client, city.double, city.arrival, city.departure, card=city.card)
    [(inbox, sms)] = texts(Event.STAY_BOOKED)
    assert "고려호텔" in inbox and "예약" in inbox and "[옥류]" in sms


def test_the_day_before_arrival_each_guest_is_reminded_once(guest_client, city):
    tomorrow = book(guest_client, city.double, city.today + timedelta(days=1), city.today + timedelta(days=2),
                    card=city.card, language="en")
    book(guest_client, city.inn_room, city.arrival, city.departure, card=city.card, language="en")
    cancelled = book(guest_client, city.single, city.today + timedelta(days=1), city.today + timedelta(days=3),
                     card=city.card, language="en")
    services.cancel_reservation(reservation=cancelled, by=city.guest)
    assert tasks.remind_stay_arrivals(timestamp=0) == 1
    assert tasks.remind_stay_arrivals(timestamp=3600) == 1
    [(inbox, sms)] = texts(Event.STAY_REMINDER)
    assert tomorrow.code in inbox and "begins tomorrow" in inbox and "Check-in from 14:00" in sms
    # On the day itself, the stay is no longer tomorrow's.
    assert services.remind_arrivals(today=city.today + timedelta(days=1)) == 0
