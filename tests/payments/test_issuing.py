"""Issuing cards at the bureau's counter, in the admin: the number and PIN
the system makes, the slip that shows them once, and what the clerk's
issue leaves in the books."""

import re
import uuid

import pytest
from django.test import Client
from django.urls import reverse

from okryu.luhn import luhn_checksum_ok
from orders.models import Order
from payments import services
from payments.models import Card, CardEvent, LedgerTransaction
from payments.numbers import number_hash
from tests import factories
from tests.orders.helpers import checkout_token, fill_cart, pay, start_checkout

pytestmark = pytest.mark.django_db

ADD_URL = reverse("admin:payments_card_add")


def form_token(response) -> str:
    return re.search(r'name="token" value="([0-9a-f-]+)"', response.content.decode()).group(1)


def slip(response) -> tuple[str, str]:
    """The number and the PIN the slip shows."""
    number, pin = re.findall(r'<dd class="slip-number">(.*?)</dd>', response.content.decode())
    return re.sub(r"\D", "", number), pin


def issue(client, **fields):
    data = {"holder_name": "리순희", "owner": "", "opening_top_up": "50000", **fields}
    data.setdefault("token", form_token(client.get(ADD_URL)))
    return client.post(ADD_URL, data)


def test_a_clerk_issues_a_card_that_a_new_customer_links_and_pays_with(finance_client, finance_clerk, world):
    response = issue(finance_client)
    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"]
    number, pin = slip(response)
    assert len(number) == 16 and number.startswith(services.CARD_PREFIX) and luhn_checksum_ok(number)
    assert re.fullmatch(r"\d{6}", pin)
    card = Card.objects.exclude(pk=world.card.pk).get()
    assert (card.number_hash, card.last_four, card.owner) == (number_hash(number), number[-4:], None)
    assert card.pin_matches(pin)
    assert list(card.events.values_list("kind", "by")) == [
        (CardEvent.Kind.ISSUED, finance_clerk.pk), (CardEvent.Kind.TOPPED_UP, finance_clerk.pk)]
    assert services.card_balances(card)["available"] == 50_000

    # After the slip, staff see the masked number only.
    for url in (reverse("admin:payments_card_change", args=[card.pk]), reverse("admin:payments_card_changelist"),
                reverse("admin:payments_card_statement", args=[card.pk])):
        page = finance_client.get(url).content.decode()
        assert number not in page and pin not in page and card.masked_number in page, url

    newcomer = factories.user("newcomer")
    client = Client()
    client.force_login(newcomer)
    linked = client.post(reverse("payments:cards"), {"number": " ".join(re.findall("....", number)), "pin": pin})
    assert linked.status_code == 302 and Card.objects.get(pk=card.pk).owner == newcomer
    offer = world.soap.offers.order_by("price").first()
    fill_cart(newcomer, [(offer, 2)])
    world.address = factories.address(owner=newcomer, district_=world.district)
    paid = pay(client, checkout_token(start_checkout(client, world)), slot=world.slot, card=card, pin=pin)
    order = Order.objects.get(user=newcomer)
    assert paid.status_code == 302 and paid["Location"] == order.get_absolute_url()

    movements = LedgerTransaction.objects.filter(entries__account__card=card).distinct().order_by("pk")
    assert [(m.kind, m.amount, m.by) for m in movements] == [
        (LedgerTransaction.Kind.TOP_UP, 50_000, finance_clerk), (LedgerTransaction.Kind.HOLD, order.total, None)]
    statement = finance_client.get(reverse("admin:payments_card_statement", args=[card.pk])).content.decode()
    assert order.number in statement and "50,000" in statement


def test_the_slip_is_shown_once_and_a_second_submit_issues_nothing(finance_client):
    token = form_token(finance_client.get(ADD_URL))
    first = issue(finance_client, token=token)
    number, pin = slip(first)
    again = issue(finance_client, token=token)
    assert again.status_code == 409
    assert number not in again.content.decode() and f">{pin}<" not in again.content.decode()
    assert Card.objects.count() == 1 and LedgerTransaction.objects.count() == 1


def test_a_card_issued_to_an_account_is_linked_to_it(finance_client, world):
    response = issue(finance_client, owner=world.customer.username)
    assert response.status_code == 200
    assert Card.objects.latest("pk").owner == world.customer


@pytest.mark.parametrize("fields", [
    {"opening_top_up": "0"}, {"opening_top_up": "-5"}, {"opening_top_up": "abc"}, {"opening_top_up": str(10**13)},
    {"holder_name": ""}, {"owner": "nobody-by-that-name"}, {"token": "not-a-token"},
])
def test_bad_input_issues_nothing(finance_client, fields):
    response = issue(finance_client, **fields)
    assert response.status_code == 400
    assert not Card.objects.exists() and not LedgerTransaction.objects.exists()
    assert 'class="slip-number"' not in response.content.decode()


def test_issuing_needs_the_add_card_permission(client, db):
    client.force_login(factories.user("viewer", is_staff=True))
    assert client.get(ADD_URL).status_code == 403
    data = {"holder_name": "x", "opening_top_up": "1", "token": str(uuid.uuid4())}
    assert client.post(ADD_URL, data).status_code == 403
    assert not Card.objects.exists()


def test_a_new_number_is_never_one_a_card_has_had(monkeypatch, db):
    taken = factories.card(balance=0)
    taken.close(by=None)
    digits = iter(taken.number[4:15] + "12345678901")
    monkeypatch.setattr(services.secrets, "choice", lambda _alphabet: next(digits))
    number = services.new_card_number()
    assert number != taken.number and number.startswith("940812345678901")
