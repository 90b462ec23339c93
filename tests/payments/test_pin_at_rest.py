"""The PIN at rest is keyed (payments.numbers.pin_hash): it tells nothing
without CARD_NUMBER_KEY, differs from card to card, and a PIN kept by the
password hasher before still pays and is keyed at its next right entry."""

import pytest
from django.contrib.auth.hashers import make_password
from django.test import Client, override_settings

from orders.models import Order
from payments.models import Card
from payments.numbers import PIN_HASH_PREFIX
from tests.factories import PIN, card
from tests.orders.helpers import checkout_token, fill_cart, pay, start_checkout

pytestmark = pytest.mark.django_db


def test_one_pin_on_two_cards_is_kept_apart_and_keyed():
    first, second = card(pin=PIN), card(pin=PIN)
    assert first.pin_hash.startswith(PIN_HASH_PREFIX) and PIN not in first.pin_hash
    assert first.pin_hash != second.pin_hash
    assert first.pin_matches(PIN) and not first.pin_matches("0000")
    with override_settings(CARD_NUMBER_KEY="another key"):
        assert not Card.objects.get(pk=first.pk).pin_matches(PIN), "the hash depends on the key"


def customer_pays(world, pin: str):
    customer = Client()
    customer.force_login(world.customer)
    return pay(customer, checkout_token(start_checkout(customer, world)), slot=world.slot, card=world.card, pin=pin)


def test_a_pin_kept_by_the_password_hasher_pays_and_is_keyed_from_then_on(world):
    Card.objects.filter(pk=world.card.pk).update(pin_hash=make_password(PIN))
    fill_cart(world.customer, [(world.soap.offers.order_by("price").first(), 1)])

    wrong = customer_pays(world, "0000")
    assert wrong.status_code == 409
    refused = Card.objects.get(pk=world.card.pk)
    assert not refused.pin_is_keyed and refused.failed_pin_attempts == 1

    assert customer_pays(world, PIN).status_code == 302
    paid = Card.objects.get(pk=world.card.pk)
    assert Order.objects.get(payment__card=paid).status == Order.Status.PAID
    assert paid.pin_is_keyed and paid.pin_matches(PIN) and paid.failed_pin_attempts == 0
