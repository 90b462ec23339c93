"""PINs never leave the server in clear: not in a page, not in a log line.
Card numbers are masked everywhere, the holder's own card page included:
the full number is shown once, on the slip printed at issue."""

import logging

import pytest
from django.db import connection
from django.urls import reverse

from payments.models import Card
from tests.factories import card, user

pytestmark = pytest.mark.django_db

SECRET_PIN = "583920"
WRONG_PIN = "271828"


@pytest.fixture
def logged(caplog):
    """Every log record at DEBUG, SQL included (Django logs queries only
    with a debug cursor)."""
    caplog.set_level(logging.DEBUG)
    for name in ("django", "django.request", "django.db.backends", "payments"):
        caplog.set_level(logging.DEBUG, logger=name)
    connection.force_debug_cursor = True
    yield caplog
    connection.force_debug_cursor = False


def test_the_pin_is_in_no_page_and_no_log_line(client, world, logged, gateway):
    mine = card(owner=None, pin=SECRET_PIN, balance=90_000)
    client.force_login(world.customer)
    bodies = []
    for pin in (WRONG_PIN, "12x4", SECRET_PIN):
        response = client.post(reverse("payments:cards"), {"number": mine.number, "pin": pin}, follow=True)
        bodies.append(response.content.decode())
    assert Card.objects.get(pk=mine.pk).owner == world.customer, "the flow did run"
    gateway.authorize(card_number=mine.number, pin=SECRET_PIN, amount=1_000, reference="R", idempotency_key="k")
    bodies.append(client.get(reverse("payments:cards")).content.decode())
    bodies.append(client.get(mine.get_absolute_url()).content.decode())

    staff = user("root", is_staff=True, is_superuser=True)
    client.force_login(staff)
    for url in (
        reverse("admin:payments_card_change", args=[mine.pk]),
        reverse("admin:payments_card_changelist") + f"?q={mine.number}",
        reverse("admin:payments_card_statement", args=[mine.pk]),
        reverse("admin:payments_payment_changelist"),
    ):
        response = client.get(url)
        assert response.status_code == 200, url
        bodies.append(response.content.decode())

    for body in bodies:
        assert SECRET_PIN not in body and WRONG_PIN not in body
    assert any(r.name == "django.db.backends" for r in logged.records), "SQL was logged (the check can fail)"
    for record in logged.records:
        text = record.getMessage() + repr(record.args) + repr(getattr(record, "params", ""))
        assert SECRET_PIN not in text and WRONG_PIN not in text, record.name


def test_pin_fields_are_not_echoed_back(customer_client, world):
    spare = card(owner=None, pin=SECRET_PIN)
    response = customer_client.post(reverse("payments:cards"), {"number": spare.number, "pin": WRONG_PIN})
    assert response.status_code == 400
    assert WRONG_PIN not in response.content.decode()
    assert 'name="pin"' in response.content.decode()


def test_the_card_number_is_masked_everywhere_the_holders_own_card_page_included(customer_client, world):
    number = world.card.number
    for url in (reverse("payments:cards"), world.card.get_absolute_url()):
        page = customer_client.get(url).content.decode()
        assert number not in page and number[:4] + " " + number[4:8] not in page and number[4:12] not in page, url
        assert world.card.masked_number in page, url

    customer_client.force_login(user("root", is_staff=True, is_superuser=True))
    for url in (
        reverse("admin:payments_card_change", args=[world.card.pk]),
        reverse("admin:payments_card_changelist"),
        reverse("admin:payments_account_changelist"),
        reverse("admin:payments_card_statement", args=[world.card.pk]),
    ):
        page = customer_client.get(url).content.decode()
        assert number not in page and number[:12] not in page, url
        assert number[-4:] in page, url


def test_the_pin_hash_is_not_shown_in_the_admin(client, world):
    client.force_login(user("root", is_staff=True, is_superuser=True))
    page = client.get(reverse("admin:payments_card_change", args=[world.card.pk])).content.decode()
    assert world.card.pin_hash not in page
