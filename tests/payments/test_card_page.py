"""What the holder does on their card page: change the PIN, report the card
lost, unlink it; and what staff do with a lost card: reissue it."""

import re

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import translation

from okryu.notices.models import Event, Notice
from orders.models import Order
from payments import services
from payments.gateway import CardClosed, CardLocked, WrongPin
from payments.models import Card, CardEvent, LedgerTransaction
from payments.numbers import number_hash
from tests import factories
from tests.factories import PIN
from tests.orders.helpers import checkout_token, fill_cart, pay, start_checkout
from tests.races import race

NEW_PIN = "4862"
WRONG = "9999"


def change_pin(client, card, old=PIN, new=NEW_PIN, again=None):
    return client.post(reverse("payments:change_pin", args=[card.pk]),
                       {"old_pin": old, "new_pin": new, "new_pin_again": again or new})


def fresh(card) -> Card:
    return Card.objects.get(pk=card.pk)


@pytest.mark.django_db
class TestChangePin:
    def test_it_changes_the_pin_once_the_old_one_is_proven(self, customer_client, world):
        response = change_pin(customer_client, world.card)
        assert response.status_code == 302 and response["Location"] == world.card.get_absolute_url()
        card = fresh(world.card)
        assert card.pin_matches(NEW_PIN) and not card.pin_matches(PIN)
        assert card.events.filter(kind=CardEvent.Kind.PIN_CHANGED, by=world.customer).count() == 1

    def test_a_wrong_old_pin_changes_nothing_and_counts(self, customer_client, world):
        response = change_pin(customer_client, world.card, old=WRONG)
        assert response.status_code == 400
        with translation.override("ko"):
            assert str(WrongPin.message) in response.content.decode()
        assert WRONG not in response.content.decode()
        card = fresh(world.card)
        assert card.pin_matches(PIN) and card.failed_pin_attempts == 1

    @pytest.mark.parametrize("old, new, again", [(PIN, "4862", "4863"), (PIN, "12a4", "12a4"), (PIN, "12", "12"),
                                                 ("", "4862", "4862"), (PIN, "1234567", "1234567")])
    def test_bad_input_is_refused_without_counting(self, customer_client, world, old, new, again):
        response = change_pin(customer_client, world.card, old=old, new=new, again=again)
        assert response.status_code == 400
        card = fresh(world.card)
        assert card.pin_matches(PIN) and card.failed_pin_attempts == 0

    def test_five_wrong_old_pins_lock_the_card_once(self, customer_client, world):
        statuses = [change_pin(customer_client, world.card, old=WRONG).status_code for _ in range(6)]
        assert statuses == [400, 400, 400, 400, 409, 409]
        card = fresh(world.card)
        assert (card.status, card.failed_pin_attempts) == (Card.Status.LOCKED, 5)
        assert card.events.filter(kind=CardEvent.Kind.LOCKED).count() == 1
        assert Notice.objects.filter(recipient=world.customer, event=Event.CARD_LOCKED).count() == 1
        # The right PIN does not open it either.
        assert change_pin(customer_client, world.card).status_code == 409
        assert fresh(world.card).pin_matches(PIN)


@pytest.mark.django_db(transaction=True)
def test_five_wrong_old_pins_racing_lock_the_card_once(world):
    clients = []
    for _ in range(5):
        client = Client()
        client.force_login(world.customer)
        clients.append(client)
    results = race(*[lambda c=c: change_pin(c, world.card, old=WRONG).status_code for c in clients])
    assert sorted(results) in ([400] * 4 + [409], [400] * 5)
    card = fresh(world.card)
    assert (card.status, card.failed_pin_attempts) == (Card.Status.LOCKED, 5)
    assert card.events.filter(kind=CardEvent.Kind.LOCKED).count() == 1
    assert card.events.filter(kind=CardEvent.Kind.PIN_FAILED).count() == 5


@pytest.mark.django_db
class TestReportLost:
    def test_it_locks_the_card_at_once_and_tells_the_holder(self, customer_client, world):
        response = customer_client.post(reverse("payments:report_lost", args=[world.card.pk]))
        assert response.status_code == 302
        card = fresh(world.card)
        assert card.status == Card.Status.LOCKED and card.is_reported_lost()
        assert card.events.filter(kind=CardEvent.Kind.REPORTED_LOST, by=world.customer).count() == 1
        notice = Notice.objects.get(recipient=world.customer, event=Event.CARD_LOST)
        assert card.masked_number in notice.text and notice.link == card.get_absolute_url()
        page = customer_client.get(card.get_absolute_url()).content.decode()
        assert f'action="{reverse("payments:report_lost", args=[card.pk])}"' not in page

    def test_reporting_it_twice_tells_once(self, customer_client, world):
        for _ in range(2):
            assert customer_client.post(reverse("payments:report_lost", args=[world.card.pk])).status_code == 302
        assert fresh(world.card).events.filter(kind=CardEvent.Kind.REPORTED_LOST).count() == 1
        assert Notice.objects.filter(event=Event.CARD_LOST).count() == 1

    def test_a_card_locked_by_wrong_pins_can_be_reported_lost(self, customer_client, world):
        world.card.lock()
        assert customer_client.post(reverse("payments:report_lost", args=[world.card.pk])).status_code == 302
        assert fresh(world.card).is_reported_lost()

    def test_a_closed_card_answers_409(self, customer_client, world):
        world.card.close(by=None)
        assert customer_client.post(reverse("payments:report_lost", args=[world.card.pk])).status_code == 409
        assert not fresh(world.card).events.filter(kind=CardEvent.Kind.REPORTED_LOST).exists()

    def test_the_next_payment_is_refused_even_with_the_right_pin(self, customer_client, world):
        customer_client.post(reverse("payments:report_lost", args=[world.card.pk]))
        fill_cart(world.customer, [(world.soap.offers.order_by("price").first(), 1)])
        pay_page = start_checkout(customer_client, world)
        offered = re.findall(r'name="card" value="(\w+)"', pay_page.content.decode())
        assert offered == ["other"], "a locked card is not offered"
        token = checkout_token(pay_page)
        assert pay(customer_client, token, slot=world.slot, card=world.card).status_code == 409
        response = pay(customer_client, token, slot=world.slot, card_number=world.card.number)
        assert response.status_code == 409
        with translation.override("ko"):
            assert str(CardLocked.message) in response.content.decode()
        assert not Order.objects.exists()
        assert services.card_balances(world.card)["available"] == 500_000


@pytest.mark.django_db
class TestUnlink:
    def test_it_takes_the_card_off_the_account_and_the_pin_links_it_again(self, customer_client, world):
        response = customer_client.post(reverse("payments:unlink", args=[world.card.pk]))
        assert response.status_code == 302 and response["Location"] == reverse("payments:cards")
        assert fresh(world.card).owner is None
        assert fresh(world.card).events.filter(kind=CardEvent.Kind.UNLINKED, by=world.customer).count() == 1
        assert customer_client.get(world.card.get_absolute_url()).status_code == 404
        relink = customer_client.post(reverse("payments:cards"), {"number": world.card.number, "pin": PIN})
        assert relink.status_code == 302 and fresh(world.card).owner == world.customer


@pytest.mark.django_db
@pytest.mark.parametrize("name", ["payments:change_pin", "payments:report_lost", "payments:unlink"])
def test_the_card_steps_take_post_only(customer_client, world, name):
    assert customer_client.get(reverse(name, args=[world.card.pk])).status_code == 405


@pytest.fixture
def clerk_client(finance_clerk):
    client = Client()
    client.force_login(finance_clerk)
    return client


def reissue_url(card):
    return reverse("admin:payments_card_reissue", args=[card.pk])


def slip_number(response) -> str:
    number, _pin = re.findall(r'<dd class="slip-number">(.*?)</dd>', response.content.decode())
    return re.sub(r"\D", "", number)


@pytest.mark.django_db
class TestReissue:
    def test_a_lost_card_is_reissued_with_its_balance_and_closed_for_good(self, customer_client, clerk_client,
                                                                         finance_clerk, world, gateway):
        gateway.capture(gateway.authorize(card_number=world.card.number, pin=PIN, amount=12_345, reference="R",
                                          idempotency_key="k"))
        customer_client.post(reverse("payments:report_lost", args=[world.card.pk]))
        assert clerk_client.get(reissue_url(world.card)).status_code == 200
        response = clerk_client.post(reissue_url(world.card))
        assert response.status_code == 200 and "no-store" in response["Cache-Control"]
        number = slip_number(response)
        new = Card.objects.get(number_hash=number_hash(number))
        assert (new.owner, new.holder_name, new.status) == (world.customer, world.card.holder_name, Card.Status.ACTIVE)
        assert services.card_balances(new) == {"available": 487_655, "held": 0, "balance": 487_655}
        assert services.card_balances(world.card) == {"available": 0, "held": 0, "balance": 0}
        transfer = LedgerTransaction.objects.get(kind=LedgerTransaction.Kind.TRANSFER)
        assert (transfer.amount, transfer.by) == (487_655, finance_clerk)
        old = fresh(world.card)
        assert old.status == Card.Status.CLOSED
        assert old.events.filter(kind=CardEvent.Kind.CLOSED, by=finance_clerk).count() == 1
        assert new.events.filter(kind=CardEvent.Kind.REISSUED, by=finance_clerk).count() == 1

        # The old card can never be used again.
        with pytest.raises(CardClosed):
            gateway.authorize(card_number=world.card.number, pin=PIN, amount=1, reference="R2", idempotency_key="k2")
        with pytest.raises(CardClosed):
            services.top_up(card=old, amount=1, idempotency_key="late")
        assert not services.unlock_card(card=old, by=finance_clerk)
        assert clerk_client.post(reissue_url(old)).status_code == 409
        assert Card.objects.count() == 2

    def test_a_refund_after_the_reissue_goes_to_the_new_card(self, clerk_client, world, gateway):
        payment = gateway.capture(gateway.authorize(card_number=world.card.number, pin=PIN, amount=8_000,
                                                    reference="R", idempotency_key="k"))
        clerk_client.post(reissue_url(world.card))
        new = fresh(world.card).replaced_by
        assert new is not None and new.status == Card.Status.ACTIVE
        gateway.refund(payment, 3_000, idempotency_key="refund:1")
        assert services.card_balances(new)["available"] == 495_000
        assert services.card_balances(world.card)["balance"] == 0

    def test_the_new_pin_from_the_slip_pays(self, clerk_client, world, gateway):
        response = clerk_client.post(reissue_url(world.card))
        _number, pin = re.findall(r'<dd class="slip-number">(.*?)</dd>', response.content.decode())
        new = Card.objects.exclude(pk=world.card.pk).get()
        with pytest.raises(WrongPin):
            gateway.verify_pin(card_number=new.number_hash, pin=PIN if pin != PIN else "0000")
        gateway.verify_pin(card_number=new.number_hash, pin=pin)

    def test_a_card_with_money_on_hold_is_not_reissued(self, clerk_client, world, gateway):
        gateway.authorize(card_number=world.card.number, pin=PIN, amount=5_000, reference="R", idempotency_key="k")
        response = clerk_client.post(reissue_url(world.card))
        assert response.status_code == 409
        assert Card.objects.count() == 1 and fresh(world.card).status == Card.Status.ACTIVE

    def test_it_needs_the_reissue_permission(self, client, world):
        client.force_login(factories.user("viewer", is_staff=True))
        assert client.post(reissue_url(world.card)).status_code == 403
        assert Card.objects.count() == 1

    def test_an_unknown_card_answers_404(self, clerk_client, db):
        assert clerk_client.post(reverse("admin:payments_card_reissue", args=[999_999])).status_code == 404
