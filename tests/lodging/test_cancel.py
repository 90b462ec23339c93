"""Cancelling and no-shows refund exactly what the copied policy says,
once, through the ledger, and the books still balance."""

from datetime import timedelta

import pytest
from django.urls import reverse

from lodging import reconcile as stay_reconcile
from lodging import services
from lodging.models import Lodging, Reservation, RoomNight
from orders import reconcile
from payments import reports
from payments.models import LedgerTransaction, Payment
from payments.services import card_balances
from tests.lodging.helpers import book

pytestmark = pytest.mark.django_db


def booked(guest_client, city, *, days_ahead: int) -> Reservation:
    arrival = city.today + timedelta(days=days_ahead)
    return book(guest_client, city.double, arrival, arrival + timedelta(days=2), card=city.card)


@pytest.mark.parametrize(("days_ahead", "refund"), [(10, 120_000), (3, 120_000), (2, 60_000), (0, 60_000)])
def test_cancelling_refunds_what_the_policy_says(guest_client, city, days_ahead, refund):
    reservation = booked(guest_client, city, days_ahead=days_ahead)
    before = card_balances(city.card)["available"]
    shown = guest_client.get(reverse("lodging:cancel", args=[reservation.code]), HTTP_ACCEPT_LANGUAGE="en")
    assert f"₩{refund:,}" in shown.content.decode()
    answer = guest_client.post(reverse("lodging:cancel", args=[reservation.code]), {"refund": str(refund)})
    assert answer.status_code == 302
    assert card_balances(city.card)["available"] == before + refund
    reservation.refresh_from_db()
    assert reservation.status == Reservation.Status.CANCELLED
    assert Payment.objects.get().refunded == refund
    assert not RoomNight.objects.filter(room_type=city.double, taken__gt=0).exists()


def test_the_copied_policy_holds_when_the_lodging_changes_its_own(guest_client, city):
    reservation = booked(guest_client, city, days_ahead=2)
    Lodging.objects.filter(pk=city.hotel.pk).update(cancel_percent=100, free_cancel_days=30)
    guest_client.post(reverse("lodging:cancel", args=[reservation.code]), {"refund": "60000"})
    assert Payment.objects.get().refunded == 60_000


def test_a_double_submitted_cancel_refunds_once(guest_client, city):
    reservation = booked(guest_client, city, days_ahead=10)
    for _ in range(2):
        guest_client.post(reverse("lodging:cancel", args=[reservation.code]), {"refund": "120000"})
    assert LedgerTransaction.objects.filter(kind=LedgerTransaction.Kind.REFUND).count() == 1
    assert Payment.objects.get().refunded == 120_000


def test_a_refund_that_changed_since_shown_is_not_made(guest_client, city):
    reservation = booked(guest_client, city, days_ahead=2)
    answer = guest_client.post(reverse("lodging:cancel", args=[reservation.code]), {"refund": "120000"},
                               HTTP_ACCEPT_LANGUAGE="en")
    assert answer.status_code == 409
    assert "₩60,000" in answer.content.decode()
    assert Reservation.objects.get().status == Reservation.Status.CONFIRMED
    assert Payment.objects.get().refunded == 0


def test_a_no_show_keeps_exactly_the_penalty(guest_client, city):
    reservation = booked(guest_client, city, days_ahead=1)
    Reservation.objects.filter(pk=reservation.pk).update(no_show_percent=30)
    reservation.refresh_from_db()
    _reservation, refund = services.mark_no_show(reservation=reservation, by=None, today=reservation.arrival)
    payment = Payment.objects.get()
    assert refund == 84_000
    assert (payment.captured - payment.refunded) == 36_000
    with pytest.raises(services.NotCancellable):
        services.cancel_reservation(reservation=reservation, by=None)


def test_a_no_show_cannot_be_marked_before_the_arrival_day(guest_client, city):
    reservation = booked(guest_client, city, days_ahead=5)
    with pytest.raises(services.TooEarly):
        services.mark_no_show(reservation=reservation, by=None, today=city.today)
    assert Payment.objects.get().refunded == 0


def test_the_daily_reconciliation_balances_after_stays_move_money(guest_client, city):
    kept = booked(guest_client, city, days_ahead=10)
    cancelled = booked(guest_client, city, days_ahead=2)
    guest_client.post(reverse("lodging:cancel", args=[cancelled.code]), {"refund": "60000"})
    no_show = booked(guest_client, city, days_ahead=1)
    services.mark_no_show(reservation=no_show, by=None, today=no_show.arrival)
    services.check_in(reservation=kept, by=None)
    assert all(check.ok for check in reports.checks()), [(c.label, c.expected, c.actual) for c in reports.checks()]
    revenue = sum(p.captured - p.refunded for p in Payment.objects.all())
    assert revenue == 120_000 + 60_000 + 120_000
    assert reconcile.problems() == {}
    assert stay_reconcile.problems() == {}


def test_the_stays_reconciliation_finds_money_or_nights_out_of_step(guest_client, city):
    kept = booked(guest_client, city, days_ahead=10)
    cancelled = booked(guest_client, city, days_ahead=2)
    services.cancel_reservation(reservation=cancelled, by=None)
    # Behind the services' backs: a refund never made and a night counted twice.
    Reservation.objects.filter(pk=cancelled.pk).update(status=Reservation.Status.CONFIRMED)
    RoomNight.objects.filter(room_type=city.double, night=kept.arrival).update(taken=2)
    found = stay_reconcile.problems()
    assert found["stay keeps other money than it costs"] == [(cancelled.code, 60_000, 120_000)]
    assert found["night counter differs from the stays on it"] == [
        (city.double.pk, cancelled.arrival.isoformat(), 0, 1),
        (city.double.pk, (cancelled.arrival + timedelta(days=1)).isoformat(), 0, 1),
        (city.double.pk, kept.arrival.isoformat(), 2, 1),
    ]
