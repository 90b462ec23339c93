"""The courier page: own deliveries only, in order, light, fixed queries;
each button through HTTP, refused steps answer 409 and change nothing."""

import gzip
import uuid
from datetime import timedelta
from pathlib import Path

import pytest
from django.contrib.staticfiles import finders
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from delivery import services as delivery_services
from delivery.models import Delivery, DeliveryEvent
from orders import services as order_services
from orders.models import Cart, Order
from payments import services as payment_services
from payments.gateway import get_gateway
from payments.models import Payment
from tests import factories
from tests.races import race

pytestmark = pytest.mark.django_db

S = Delivery.Status
ACTIONS = ["picked_up", "delivered", "failed", "returned"]
GOOD_POST = {"recipient_name": "리순희", "reason": "refused"}


def test_it_lists_the_next_hours_own_deliveries_hot_food_first_then_slot_then_district(
        courier_client, world, make_delivery, other_courier):
    early = factories.slot(service_=world.service, starts_in=timedelta(hours=1))
    a_district = factories.district(name_ko="가구역")
    tomorrow = factories.slot(service_=world.service, starts_in=timedelta(days=2))
    late_plain = make_delivery(status=S.ASSIGNED, courier=world.courier)
    early_plain_b = make_delivery(status=S.ASSIGNED, courier=world.courier, slot=early)
    early_plain_a = make_delivery(status=S.PICKED_UP, courier=world.courier, slot=early, district=a_district)
    hot = make_delivery(status=S.ASSIGNED, courier=world.courier, hot=True)
    failed = make_delivery(status=S.FAILED, courier=world.courier, slot=early)
    hidden = [
        make_delivery(status=S.ASSIGNED, courier=other_courier),
        make_delivery(status=S.ASSIGNED, courier=world.courier, slot=tomorrow),
        make_delivery(status=S.DELIVERED, courier=world.courier),
        make_delivery(status=S.CANCELLED, courier=world.courier),
        make_delivery(status=S.PENDING),
    ]

    page = courier_client.get(reverse("delivery:courier")).content.decode()

    shown = [hot, early_plain_a, early_plain_b, failed, late_plain]
    positions = [page.index(f'id="d{d.pk}"') for d in shown]
    assert positions == sorted(positions)
    for delivery in hidden:
        assert f'id="d{delivery.pk}"' not in page
    assert "0191 111 2222" in page and "김철민" in page, "customer's name and phone"
    assert world.store.address in page, "pickup"
    assert "상품 0 × 1, 상품 1 × 1" in page, "the items"
    assert reverse("delivery:returned", args=[failed.pk]) in page


def test_hot_food_shows_the_time_left(courier_client, world, make_delivery):
    from django.utils import timezone
    delivery = make_delivery(status=S.ASSIGNED, courier=world.courier, hot=True,
                             promised_by=timezone.now() + timedelta(minutes=42, seconds=30))
    page = courier_client.get(reverse("delivery:courier"), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "42 min left" in page
    assert f'class="panel job hot" id="d{delivery.pk}"' in page


@pytest.mark.parametrize("count", [3, 30])
def test_the_page_runs_a_fixed_number_of_queries(courier_client, world, make_delivery, count,
                                                 django_assert_num_queries):
    for n in range(count):
        make_delivery(status=[S.ASSIGNED, S.PICKED_UP, S.FAILED][n % 3], courier=world.courier, hot=n % 4 == 0)
    # session, user with its courier row, deliveries, their order lines
    with django_assert_num_queries(4):
        response = courier_client.get(reverse("delivery:courier"))
    assert response.content.decode().count('class="panel job') == count


def test_the_page_stays_light(courier_client, world, make_delivery):
    for n in range(5):
        make_delivery(status=[S.ASSIGNED, S.PICKED_UP][n % 2], courier=world.courier)
    response = courier_client.get(reverse("delivery:courier"))
    page = response.content.decode()
    # Only the outbox's two scripts, no search suggestions.
    assert page.count("<script") == 2 and "outbox.js" in page and "suggest.js" not in page
    worker = courier_client.get(reverse("delivery:worker")).content
    scripts = [Path(finders.find(f"js/{name}")).read_bytes() for name in ("outbox-store.js", "outbox.js")]
    # The budget for page, script and worker, compressed (measured: 6.0 KB).
    assert sum(len(gzip.compress(body)) for body in [response.content, worker, *scripts]) < 15 * 1024


@pytest.mark.parametrize("who", ["customer", "staff", "inactive courier"])
def test_it_is_not_found_for_anyone_but_an_active_courier(client, world, who):
    if who == "customer":
        person = world.customer
    elif who == "staff":
        person = factories.user(is_staff=True)
    else:
        world.courier.is_active = False
        world.courier.save()
        person = world.courier.user
    client.force_login(person)
    assert client.get(reverse("delivery:courier")).status_code == 404


def test_it_asks_for_a_login(client, world):
    response = client.get(reverse("delivery:courier"))
    assert response.status_code == 302 and "login" in response["Location"]


@pytest.mark.parametrize("action", ACTIONS)
@pytest.mark.parametrize("status", [S.ASSIGNED, S.PICKED_UP, S.FAILED])
def test_another_courier_s_delivery_is_not_found_on_every_action(
        courier_client, world, make_delivery, other_courier, action, status):
    theirs = make_delivery(status=status, courier=other_courier)
    response = courier_client.post(reverse(f"delivery:{action}", args=[theirs.pk]), GOOD_POST)
    assert response.status_code == 404
    theirs.refresh_from_db()
    assert theirs.status == status and not DeliveryEvent.objects.exists()


@pytest.mark.parametrize("action", ACTIONS)
def test_a_missing_delivery_is_not_found_and_get_is_refused(courier_client, action):
    assert courier_client.post(reverse(f"delivery:{action}", args=[999999]), GOOD_POST).status_code == 404
    assert courier_client.get(reverse(f"delivery:{action}", args=[999999])).status_code == 405


def test_a_courier_picks_up_delivers_and_the_order_follows(courier_client, world, make_delivery):
    delivery = make_delivery(status=S.ASSIGNED, courier=world.courier)

    assert courier_client.post(reverse("delivery:picked_up", args=[delivery.pk])).status_code == 302
    response = courier_client.post(reverse("delivery:delivered", args=[delivery.pk]), {"recipient_name": " 리순희 "})

    assert response.status_code == 302 and response["Location"] == reverse("delivery:courier")
    delivery.refresh_from_db()
    assert delivery.status == S.DELIVERED and delivery.recipient_name == "리순희"
    assert delivery.picked_up_at and delivery.delivered_at
    assert list(delivery.events.values_list("by", flat=True)) == [world.courier.user_id] * 2


def test_a_failed_delivery_goes_back_to_the_seller(courier_client, world, make_delivery):
    delivery = make_delivery(status=S.PICKED_UP, courier=world.courier)

    failed = courier_client.post(reverse("delivery:failed", args=[delivery.pk]), {"reason": "wrong_address"})
    returned = courier_client.post(reverse("delivery:returned", args=[delivery.pk]))

    assert failed.status_code == returned.status_code == 302
    delivery.refresh_from_db()
    assert delivery.status == S.RETURNED and delivery.failure_reason == "wrong_address"
    assert delivery.failed_at and delivery.returned_at


@pytest.mark.parametrize(("action", "status"), [
    ("delivered", S.ASSIGNED),   # deliver before pickup
    ("picked_up", S.DELIVERED),  # pickup of a delivered parcel
    ("picked_up", S.PICKED_UP),  # a second tap
    ("failed", S.DELIVERED),
    ("returned", S.PICKED_UP),
    ("delivered", S.RETURNED),
])
def test_a_step_that_does_not_fit_answers_409_and_changes_nothing(
        courier_client, world, make_delivery, action, status):
    delivery = make_delivery(status=status, courier=world.courier)
    before = Delivery.objects.values().get(pk=delivery.pk)

    response = courier_client.post(reverse(f"delivery:{action}", args=[delivery.pk]), GOOD_POST,
                                   HTTP_ACCEPT_LANGUAGE="en")

    assert response.status_code == 409
    assert "Nothing was changed" in response.content.decode()
    assert Delivery.objects.values().get(pk=delivery.pk) == before
    assert not DeliveryEvent.objects.exists()


@pytest.mark.parametrize(("action", "data"), [
    ("delivered", {}), ("delivered", {"recipient_name": "   "}), ("delivered", {"recipient_name": "x" * 101}),
    ("failed", {}), ("failed", {"reason": "bored"}), ("failed", {"reason": "other", "note": "  "}),
    ("failed", {"reason": "damaged", "note": "x" * 201}),
])
def test_bad_input_answers_400_and_changes_nothing(courier_client, world, make_delivery, action, data):
    delivery = make_delivery(status=S.PICKED_UP, courier=world.courier)
    response = courier_client.post(reverse(f"delivery:{action}", args=[delivery.pk]), data)
    assert response.status_code == 400
    delivery.refresh_from_db()
    assert delivery.status == S.PICKED_UP and not DeliveryEvent.objects.exists()


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize(("action", "status", "data"), [
    ("picked_up", S.ASSIGNED, None),
    ("delivered", S.PICKED_UP, {"recipient_name": "리순희"}),
    ("failed", S.PICKED_UP, {"reason": "refused"}),
])
def test_two_taps_at_once_record_one_change(world, make_delivery, action, status, data):
    delivery = make_delivery(status=status, courier=world.courier)
    clients = [Client(), Client()]
    for client in clients:
        client.force_login(world.courier.user)
    url = reverse(f"delivery:{action}", args=[delivery.pk])

    codes = race(*[lambda client=client: client.post(url, data or {}).status_code for client in clients])

    assert sorted(codes) == [302, 409]
    assert DeliveryEvent.objects.filter(delivery=delivery).count() == 1


@pytest.mark.django_db(transaction=True)
def test_a_pickup_and_a_reassignment_at_once_record_one_change(world, make_delivery, other_courier):
    delivery = make_delivery(status=S.ASSIGNED, courier=world.courier)
    courier, boss = Client(), Client()
    courier.force_login(world.courier.user)
    # A superuser: the race is about the row lock, not about the dispatcher role.
    boss.force_login(factories.user("boss", is_staff=True, is_superuser=True))

    codes = race(
        lambda: courier.post(reverse("delivery:picked_up", args=[delivery.pk])).status_code,
        lambda: boss.post(reverse("delivery:dispatch_reassign"), {
            "deliveries": [delivery.pk], "courier": other_courier.pk}).status_code,
    )

    # Whichever comes second finds the delivery moved on (or no longer the courier's).
    assert sorted(codes) in ([302, 404], [302, 409])
    assert DeliveryEvent.objects.filter(delivery=delivery).count() == 1


def test_a_pickup_whose_card_hold_lapsed_is_refused_and_changes_nothing(courier_client, world):
    order = factories.paid_order(customer=world.customer, card_=world.card, address_=world.address,
                                 offer=world.soap.offers.first(), slot_=world.slot)
    Delivery.objects.filter(order=order).update(status=S.ASSIGNED, courier=world.courier)
    delivery = order.deliveries.get()
    assert payment_services.release_expired_holds(now=timezone.now() + timedelta(days=8)) == 1

    response = courier_client.post(reverse("delivery:picked_up", args=[delivery.pk]), HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 409
    assert "Leave the goods with the seller and call the dispatcher" in response.content.decode()
    delivery.refresh_from_db()
    order.refresh_from_db()
    assert (delivery.status, order.status, order.payment.status) == (S.ASSIGNED, Order.Status.PAID,
                                                                     Payment.Status.VOIDED)
    assert not DeliveryEvent.objects.filter(delivery=delivery, to_status=S.PICKED_UP).exists()


def _locks(queries, table: str) -> int:
    """SELECT ... FOR UPDATE statements that read ``table`` (and so lock it)."""
    return sum(1 for query in queries if "FOR UPDATE" in query["sql"] and f'"{table}"' in query["sql"])


def test_each_courier_step_locks_the_order_once_and_the_payment_only_in_the_capture(courier_client, world):
    order, other = (
        factories.paid_order(customer=world.customer, card_=world.card, address_=world.address,
                             offer=world.soap.offers.first(), slot_=world.slot)
        for _ in range(2)
    )
    Delivery.objects.filter(order=order).update(status=S.ASSIGNED, courier=world.courier)
    delivery = order.deliveries.get()
    with CaptureQueriesContext(connection) as capture_alone:
        get_gateway().capture(other.payment)

    with CaptureQueriesContext(connection) as pickup:
        assert courier_client.post(reverse("delivery:picked_up", args=[delivery.pk])).status_code == 302
    with CaptureQueriesContext(connection) as drop_off:
        assert courier_client.post(reverse("delivery:delivered", args=[delivery.pk]),
                                   {"recipient_name": "리순희"}).status_code == 302

    assert _locks(pickup, "orders_order") == _locks(drop_off, "orders_order") == 1
    # The capture locks the payment once, and the courier step adds no lock of its own.
    assert _locks(pickup, "payments_payment") == _locks(capture_alone, "payments_payment") == 1
    assert _locks(drop_off, "payments_payment") == 0
    order.refresh_from_db()
    assert order.status == Order.Status.DELIVERED and order.payment.status == Payment.Status.CAPTURED


@pytest.mark.django_db(transaction=True)
def test_the_last_two_deliveries_of_an_order_delivered_at_once_deliver_the_order_once(world):
    cart, _created = Cart.objects.get_or_create(user=world.customer)
    for offer in world.soap.offers.all():
        order_services.add_to_cart(cart=cart, offer=offer, quantity=1)
    order = order_services.place_order(user=world.customer, cart=cart, shown_cart=factories.shown_cart(cart),
                                       address=world.address, slot_id=world.slot.pk,
                                       card_number=world.card.number, pin=factories.PIN, token=uuid.uuid4())
    order.deliveries.update(status=S.ASSIGNED, courier=world.courier)
    for delivery in order.deliveries.all():
        delivery_services.pick_up(delivery=delivery, by=world.courier.user)
    clients = [Client(), Client()]
    for client in clients:
        client.force_login(world.courier.user)

    codes = race(*[
        lambda client=client, delivery=delivery: client.post(
            reverse("delivery:delivered", args=[delivery.pk]), {"recipient_name": "리순희"}).status_code
        for client, delivery in zip(clients, order.deliveries.order_by("pk"), strict=True)
    ])

    assert codes == [302, 302]
    order.refresh_from_db()
    assert order.status == Order.Status.DELIVERED
    assert order.events.filter(to_status=Order.Status.DELIVERED).count() == 1


@pytest.mark.parametrize(("status", "reason", "note", "after"), [
    (S.PICKED_UP, "damaged", "상자가 젖었음", S.FAILED),
    (S.PICKED_UP, "other", "승강기 고장", S.FAILED),
    # Nothing left the seller: nothing has to come back.
    (S.ASSIGNED, "seller_short", "", S.RETURNED),
])
def test_the_courier_chooses_a_reason_from_the_list_with_a_note(courier_client, world, make_delivery,
                                                                   status, reason, note, after):
    # A slot of today in Pyongyang (past or coming): the page lists it at any hour.
    noon = timezone.localtime().replace(hour=12, minute=0, second=0, microsecond=0)
    today = factories.slot(service_=world.service, starts_in=noon - timezone.now())
    delivery = make_delivery(status=status, courier=world.courier, slot=today)
    page = courier_client.get(reverse("delivery:courier")).content.decode()
    assert f'action="{reverse("delivery:failed", args=[delivery.pk])}"' in page
    assert '<select id="f' in page and f'<option value="{reason}">' in page and 'name="note"' in page

    response = courier_client.post(reverse("delivery:failed", args=[delivery.pk]), {"reason": reason, "note": note})

    assert response.status_code == 302
    delivery.refresh_from_db()
    assert (delivery.status, delivery.failure_reason, delivery.failure_note) == (after, reason, note)
    assert delivery.fault and delivery.next_step
