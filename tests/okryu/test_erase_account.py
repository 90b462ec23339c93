"""Deleting an account: the person's name, phone and addresses are gone
from the database, the books still add up, the cards still pay."""

import uuid
from datetime import time, timedelta

import pytest
from axes.models import AccessAttempt
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from delivery import services as delivery_services
from delivery.models import Delivery
from lodging import services as lodging_services
from lodging.models import Lodging, Reservation, RoomType
from okryu.models import PasswordResetCode, User
from okryu.notices.models import Event, Notice, SmsMessage
from orders import reconcile
from orders.models import Address, Order
from payments import services as payment_services
from payments.models import Card
from tests import factories
from tests.database_dump import database_dump

NAME = "한설희"
USERNAME = "seolhui-erase"
PHONE = "+8501923456789"
STREET = "ERASE-STREET 7동 8호"
GUESTS = "한설희, 한철"


def book_a_past_stay(world, person, card) -> Reservation:
    lodging = Lodging.objects.create(
        seller=factories.seller(), slug="erase-hotel", name_ko="호텔", district=world.district, address="-",
        check_in_from=time(14), check_out_until=time(12),
    )
    room = RoomType.objects.create(lodging=lodging, name_ko="방", base_rate=10_000, room_count=5)
    arrival = timezone.localdate() + timedelta(days=7)
    held = lodging_services.hold_stay(
        user=person, room_type=room, arrival=arrival, departure=arrival + timedelta(days=1), guests=2,
        guest_names=GUESTS, arrival_time=None, requests=f"{NAME}: a quiet room", token=uuid.uuid4(),
    )
    stay = lodging_services.pay_reservation(reservation=held, card_number=card.number, pin=factories.PIN)
    # Its nights are over: how it got there is the front desk's tests' business.
    Reservation.objects.filter(pk=stay.pk).update(status=Reservation.Status.CHECKED_OUT)
    return stay


@pytest.fixture
def person(world):
    """A customer with what an account gathers: addresses, a linked card, a
    delivered order, notices, a text message, a reset code and a failed login."""
    customer = factories.user(USERNAME, first_name=NAME, phone=PHONE)
    card = factories.card(owner=customer, balance=100_000)
    address = factories.address(owner=customer, district_=world.district, recipient_name=NAME, phone=PHONE,
                                line=STREET)
    factories.address(owner=customer, district_=world.district, recipient_name=NAME, phone=PHONE, line="2nd " + STREET)
    order = factories.paid_order(customer=customer, card_=card, address_=address, offer=world.soap.offers.first(),
                                 slot_=world.slot)
    delivery = Delivery.objects.get(order=order).assign(world.courier, by=None)
    delivery = delivery_services.pick_up(delivery=delivery, by=world.courier.user)
    delivery_services.deliver(delivery=delivery, by=world.courier.user, recipient_name=NAME)
    Notice.objects.create(recipient=customer, event=Event.CARD_LOCKED, obj_key=f"card:{card.pk}",
                          text=f"{NAME}, your card is locked")
    SmsMessage.objects.create(recipient=customer, event=Event.CARD_LOCKED, obj_key=f"card:{card.pk}",
                              text=f"{NAME}, your card is locked", phone=PHONE)
    PasswordResetCode.objects.create(user=customer, phone=PHONE[4:], code_hash="x",
                                     expires_at=timezone.now() + timedelta(minutes=5))
    Client().post(reverse("okryu:login"), {"username": USERNAME, "password": "wrong"})
    assert AccessAttempt.objects.filter(username=USERNAME).exists()
    customer.card, customer.order = card, order
    return customer


def erase(client, person, password=factories.PASSWORD):
    client.force_login(person)
    return client.post(reverse("okryu:erase_account"), {"password": password}, HTTP_ACCEPT_LANGUAGE="en")


# The phone in its normal form, in digits (a reset code's) and as shown
# (a delivery's drop-off text).
TRACES = [NAME, USERNAME, PHONE, PHONE[4:], "192 345 6789", "ERASE-STREET", GUESTS]


def personal_data_in(dump: str) -> list[str]:
    return [trace for trace in TRACES if trace in dump]


@pytest.fixture
def guest(world, person):
    """The same customer, who also stayed at a hotel."""
    book_a_past_stay(world, person, person.card)
    return person


@pytest.mark.django_db(transaction=True)
def test_the_persons_data_is_gone_from_a_dump(client, world, guest):
    assert personal_data_in(database_dump()) == TRACES, "the dump holds them before"
    response = erase(client, guest)
    assert response.status_code == 302 and response["Location"] == reverse("catalog:home")
    assert personal_data_in(database_dump()) == []
    assert Reservation.objects.filter(user=guest).count() == 1, "kept for the books"


@pytest.mark.django_db(transaction=True)
def test_orders_and_payments_stay_and_the_books_still_hold(client, world, person):
    # Stays are left out: the reconciliation knows orders' payments only.
    assert reconcile.problems() == {}
    erase(client, person)
    assert reconcile.problems() == {}
    order = Order.objects.get(pk=person.order.pk)
    assert (order.status, order.total, order.payment_id) == (Order.Status.DELIVERED, person.order.total,
                                                             person.order.payment_id), "kept for the books"
    assert not Address.objects.filter(user=person).exists()


@pytest.mark.django_db(transaction=True)
def test_the_cards_are_unlinked_and_still_pay(client, world, person):
    balance = payment_services.card_balances(person.card)
    erase(client, person)
    card = Card.objects.get(pk=person.card.pk)
    assert card.owner is None and card.status == Card.Status.ACTIVE
    assert payment_services.card_balances(card) == balance
    newcomer = factories.user()
    linked = payment_services.link_card(user=newcomer, card_number=person.card.number, pin=factories.PIN)
    assert linked.owner == newcomer


@pytest.mark.django_db(transaction=True)
def test_the_account_cannot_log_in_and_its_session_ends(client, world, person):
    erase(client, person)
    assert client.get(reverse("orders:list")).status_code == 302, "logged out"
    assert not Client().login(username=USERNAME, password=factories.PASSWORD)
    erased = User.objects.get(pk=person.pk)
    assert not erased.is_active and not erased.has_usable_password()
    # The username is free for someone new.
    assert factories.user(USERNAME).pk != person.pk


@pytest.mark.django_db
def test_a_wrong_password_changes_nothing(client, world, person):
    response = erase(client, person, password="not-it")
    assert response.status_code == 400
    assert "That is not your password." in response.content.decode()
    assert User.objects.get(pk=person.pk).first_name == NAME
    assert Address.objects.filter(user=person).count() == 2


@pytest.mark.django_db
def test_an_order_on_its_way_stops_it_and_nothing_changes(client, world, person):
    factories.paid_order(customer=person, card_=person.card, address_=Address.objects.filter(user=person).first(),
                         offer=world.soap.offers.first(), slot_=world.slot)
    response = erase(client, person)
    assert response.status_code == 409
    assert "still on its way" in response.content.decode()
    assert User.objects.get(pk=person.pk).first_name == NAME
    assert Card.objects.get(pk=person.card.pk).owner_id == person.pk
    assert Address.objects.filter(user=person).count() == 2
    assert Order.objects.get(pk=person.order.pk).recipient_name == NAME


@pytest.mark.django_db
def test_a_booked_stay_stops_it(client, world, guest):
    Reservation.objects.filter(user=guest).update(status=Reservation.Status.CONFIRMED)
    response = erase(client, guest)
    assert response.status_code == 409
    assert "You have a stay booked" in response.content.decode()
    assert Reservation.objects.get(user=guest).guest_names == GUESTS


@pytest.mark.django_db
def test_a_staff_account_is_not_erased_here(client, db):
    clerk = factories.user("clerk", is_staff=True)
    response = erase(client, clerk)
    assert response.status_code == 409
    assert User.objects.get(pk=clerk.pk).is_active


@pytest.mark.django_db
def test_the_page_says_what_is_kept(client, world):
    client.force_login(world.customer)
    page = client.get(reverse("okryu:erase_account"), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "Orders and payments stay in the bureau's books without your name." in page


def test_it_needs_a_login(client, db):
    for method in (client.get, client.post):
        response = method(reverse("okryu:erase_account"))
        assert response.status_code == 302 and response["Location"].startswith(reverse("okryu:login"))
