"""A card's status changes through its own methods, like orders, payments
and deliveries: each one checked, locked and written to the card's timeline."""

import pytest
from django.urls import reverse

from okryu.transitions import InvalidTransition
from payments import services
from payments.gateway import CardClosed, WrongPin
from payments.models import Card, CardEvent
from tests.factories import PIN, card, user

pytestmark = pytest.mark.django_db


def story(target: Card) -> list[tuple]:
    return list(target.events.values_list("kind", "from_status", "to_status", "note"))


def test_lock_unlock_and_close_each_leave_an_event_with_from_and_to(gateway):
    clerk = user("clerk")
    target = card(balance=0)
    target.lock(note="reported stolen")
    target.unlock(by=clerk, note="found again")
    closed = target.close(by=clerk, note="replaced")
    assert closed.status == Card.Status.CLOSED
    assert story(target) == [
        (CardEvent.Kind.ISSUED, "", Card.Status.ACTIVE, ""),
        (CardEvent.Kind.LOCKED, Card.Status.ACTIVE, Card.Status.LOCKED, "reported stolen"),
        (CardEvent.Kind.UNLOCKED, Card.Status.LOCKED, Card.Status.ACTIVE, "found again"),
        (CardEvent.Kind.CLOSED, Card.Status.ACTIVE, Card.Status.CLOSED, "replaced"),
    ]
    assert target.events.last().by == clerk
    with pytest.raises(CardClosed):
        gateway.verify_pin(card_number=target.number, pin=PIN)


def test_a_closed_card_is_never_unlocked_or_locked_again():
    target = card(balance=0).close(by=None)
    events = target.events.count()
    for move in (target.lock, target.unlock, target.close):
        with pytest.raises(InvalidTransition) as refused:
            move(by=None)
        assert refused.value.current == Card.Status.CLOSED
    assert services.unlock_card(card=target, by=None) is False
    assert Card.objects.get(pk=target.pk).status == Card.Status.CLOSED
    assert target.events.count() == events


def test_unlocking_resets_the_wrong_pin_count(gateway):
    target = card(balance=0)
    for _ in range(Card.MAX_PIN_FAILURES):
        with pytest.raises(WrongPin):
            gateway.verify_pin(card_number=target.number, pin="0000")
    unlocked = target.unlock(by=None)
    assert (unlocked.status, unlocked.failed_pin_attempts) == (Card.Status.ACTIVE, 0)
    assert Card.objects.get(pk=target.pk).failed_pin_attempts == 0


def test_a_wrong_pin_is_an_event_that_changes_no_status(gateway):
    target = card(balance=0)
    with pytest.raises(WrongPin):
        gateway.verify_pin(card_number=target.number, pin="0000")
    assert story(target)[-1] == (CardEvent.Kind.PIN_FAILED, Card.Status.ACTIVE, Card.Status.ACTIVE, "")


def test_the_fifth_wrong_pin_locks_the_card_through_its_lock_method(gateway):
    target = card(balance=0)
    for _ in range(Card.MAX_PIN_FAILURES):
        with pytest.raises(WrongPin):
            gateway.verify_pin(card_number=target.number, pin="0000")
    assert story(target)[-2:] == [
        (CardEvent.Kind.PIN_FAILED, Card.Status.ACTIVE, Card.Status.ACTIVE, ""),
        (CardEvent.Kind.LOCKED, Card.Status.ACTIVE, Card.Status.LOCKED, ""),
    ]


def test_the_card_admin_shows_the_timeline_with_its_statuses(client, finance_clerk, world, gateway):
    with pytest.raises(WrongPin):
        gateway.verify_pin(card_number=world.card.number, pin="0000")
    world.card.lock(by=finance_clerk, note="phoned in")
    client.force_login(finance_clerk)
    page = client.get(reverse("admin:payments_card_change", args=[world.card.pk]))
    assert page.status_code == 200
    body = page.content.decode()
    for text in ("발급됨", "비밀번호 틀림", "잠김", "phoned in", "clerk"):
        assert text in body, text
