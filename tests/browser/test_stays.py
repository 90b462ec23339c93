"""A guest's stay, on a phone and on a PC, in Korean and in English: search
the whole city sorted by distance, open a hotel, reserve a room, pay with
the e-card's PIN, see and print the confirmation, cancel and see the refund.
Every page on the way goes through ``Visitor.check``."""

from datetime import timedelta
from urllib.parse import parse_qs, urlsplit

import pytest
from django.utils import timezone

from lodging.models import Reservation
from payments.services import card_balances
from tests import factories


@pytest.mark.parametrize("language", ["ko", "en"])
def test_a_guest_finds_reserves_pays_and_cancels_a_stay(visitor, viewport, language):
    username = f"guest-{language}-{viewport}"
    guest = factories.user(username)
    card = factories.card(owner=guest, balance=1_000_000)
    arrival = timezone.localdate() + timedelta(days=10)
    departure = arrival + timedelta(days=2)
    v = visitor(language="ko")
    page = v.page
    v.log_in(username, next_url="/stays/")
    if language != "ko":
        v.switch_language(language)
    v.check("stays")

    page.locator('input[name="arrival"]').fill(arrival.isoformat())
    page.locator('input[name="departure"]').fill(departure.isoformat())
    page.locator('select[name="near"]').select_option("jung")
    page.locator('select[name="sort"]').select_option("distance")
    v.submit('select[name="sort"]')
    query = parse_qs(urlsplit(page.url).query)
    assert (query["sort"], query["near"], query["arrival"]) == (["distance"], ["jung"], [arrival.isoformat()])
    results = page.locator("main li.stay a").evaluate_all("links => links.map(a => a.getAttribute('href'))")
    assert any(href.startswith("/stays/koryo/") for href in results)
    v.check("stays-search")

    v.follow(page.locator('main li.stay a[href^="/stays/koryo/"]'))
    v.check("stay-lodging")

    v.follow(page.locator('main a[href*="/reserve/"]').first)
    page.locator('input[name="guest_names"]').fill("김영호, 리순희" if language == "ko" else "Kim Yong Ho, Ri Sun Hui")
    page.locator('input[name="arrival_time"]').fill("15:30")
    v.check("stay-reserve")
    v.submit('input[name="guest_names"]')
    reservation = Reservation.objects.get(user=guest)
    assert reservation.status == Reservation.Status.HELD
    v.check("stay-pay")

    page.locator('input[name="pin"]').fill(factories.PIN)
    v.submit('input[name="pin"]')
    reservation.refresh_from_db()
    assert reservation.status == Reservation.Status.CONFIRMED
    assert urlsplit(page.url).path == reservation.get_absolute_url()
    assert reservation.code in page.locator("h1").inner_text()
    assert card_balances(card)["available"] == 1_000_000 - reservation.total
    v.check("stay-booked")

    v.follow(page.locator('main a[href$="/confirmation/"]'))
    assert reservation.code in page.locator("h1").inner_text()
    v.check("stay-confirmation")
    v.follow(page.locator(f'main a[href="{reservation.get_absolute_url()}"]'))

    # Ten days ahead is within the Koryo Hotel's free cancellation: all of it goes back.
    v.follow(page.locator('main a[href$="/cancel/"]'))
    assert f"{reservation.total:,}" in page.locator("main dl.totals").inner_text()
    v.check("stay-cancel")
    v.submit('input[name="refund"]')
    reservation.refresh_from_db()
    assert reservation.status == Reservation.Status.CANCELLED
    assert reservation.payment.refunded == reservation.total
    assert card_balances(card)["available"] == 1_000_000
    assert f"{reservation.total:,}" in page.locator(".timeline").inner_text()
    v.check("stay-cancelled")
