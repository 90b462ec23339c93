"""The dispatcher board: who may see it, what it shows, the assign,
reassign, unassign, returned and automatic actions, their refusals, races
and a fixed number of queries."""

from datetime import timedelta

import pytest
from django.contrib.auth.models import Group
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from catalog.models import Offer
from delivery.models import Delivery, DeliveryEvent
from delivery.roles import DISPATCHER_GROUP
from payments.models import Payment
from tests import factories
from tests.races import race

pytestmark = pytest.mark.django_db

S = Delivery.Status
BOARD = reverse("delivery:dispatch")
POSTS = ["dispatch_assign", "dispatch_reassign", "dispatch_unassign", "dispatch_returned", "dispatch_automatically"]


def test_the_migration_made_the_dispatcher_group_with_the_dispatch_permission(dispatcher):
    group = Group.objects.get(name=DISPATCHER_GROUP)
    codenames = set(group.permissions.values_list("codename", flat=True))
    assert {"dispatch", "view_delivery", "change_delivery"} <= codenames
    assert dispatcher.has_perm("delivery.dispatch")


def test_a_dispatcher_and_a_superuser_see_the_board(client, dispatcher):
    client.force_login(dispatcher)
    assert client.get(BOARD).status_code == 200
    client.force_login(factories.user(is_staff=True, is_superuser=True))
    assert client.get(BOARD).status_code == 200


@pytest.mark.parametrize("who", ["customer", "courier", "staff without the role"])
def test_anyone_else_is_forbidden(client, world, make_delivery, who, dispatcher):
    person = {"customer": world.customer, "courier": world.courier.user,
              "staff without the role": factories.user(is_staff=True)}[who]
    delivery = make_delivery()
    client.force_login(person)

    assert client.get(BOARD).status_code == 403
    for name in POSTS:
        response = client.post(reverse(f"delivery:{name}"), {"deliveries": [delivery.pk],
                                                            "courier": world.courier.pk})
        assert response.status_code == 403
    delivery.refresh_from_db()
    assert delivery.status == S.PENDING and not DeliveryEvent.objects.exists()


def test_a_visitor_is_sent_to_log_in(client, db):
    response = client.get(BOARD)
    assert response.status_code == 302 and "login" in response["Location"]


def test_the_board_groups_waiting_deliveries_by_slot_and_district_and_shows_loads(
        dispatcher_client, world, make_delivery, other_courier):
    later = factories.slot(service_=world.service, starts_in=timedelta(hours=5))
    north = factories.district(name_ko="가구역")
    first = make_delivery(district=north)
    second = make_delivery()
    third = make_delivery(slot=later)
    make_delivery(status=S.ASSIGNED, courier=world.courier)
    make_delivery(status=S.PICKED_UP, courier=world.courier)
    make_delivery(status=S.DELIVERED, courier=other_courier)

    response = dispatcher_client.get(BOARD)

    page = response.content.decode()
    def tick_box(delivery):
        return page.index(f'name="deliveries" value="{delivery.pk}"')

    assert tick_box(first) < tick_box(second) < tick_box(third)
    assert page.index("가구역") < tick_box(second)
    couriers = {c.pk: c.load for c in response.context["couriers"]}
    assert couriers == {world.courier.pk: 2, other_courier.pk: 0}


@pytest.mark.parametrize("count", [5, 50])
def test_the_board_runs_a_fixed_number_of_queries(dispatcher_client, world, make_delivery, other_courier, count,
                                                  django_assert_num_queries):
    for n in range(count):
        make_delivery(status=[S.PENDING, S.PENDING, S.ASSIGNED, S.FAILED][n % 4],
                      courier=None if n % 4 < 2 else [world.courier, other_courier][n % 2],
                      slot=factories.slot(service_=world.service, starts_in=timedelta(hours=n + 3))
                      if n % 5 == 0 else None,
                      hot=n % 3 == 0)
    # session, user with its courier row (menu), user and group
    # permissions, couriers, orders whose hold lapses soon, waiting, assigned, failed deliveries, slots to
    # redeliver in, today's courier steps
    with django_assert_num_queries(11):
        response = dispatcher_client.get(BOARD)
    page = response.content.decode()
    assert page.count('name="deliveries"') == count


def test_assigning_ticked_deliveries_records_who(dispatcher_client, dispatcher, world, make_delivery):
    first, second, untouched = make_delivery(), make_delivery(), make_delivery()

    response = dispatcher_client.post(reverse("delivery:dispatch_assign"), {
        "deliveries": [first.pk, second.pk], "courier": world.courier.pk})

    assert response.status_code == 302 and response["Location"] == BOARD
    assert set(Delivery.objects.filter(status=S.ASSIGNED, courier=world.courier).values_list("pk", flat=True)) == {
        first.pk, second.pk}
    untouched.refresh_from_db()
    assert untouched.status == S.PENDING
    events = DeliveryEvent.objects.values_list("by", "to_status").order_by().distinct()
    assert list(events) == [(dispatcher.pk, S.ASSIGNED)]


def test_reassigning_and_unassigning_are_recorded(dispatcher_client, dispatcher, world, make_delivery,
                                                  other_courier):
    delivery = make_delivery(status=S.ASSIGNED, courier=world.courier)

    moved = dispatcher_client.post(reverse("delivery:dispatch_reassign"), {
        "deliveries": [delivery.pk], "courier": other_courier.pk})
    delivery.refresh_from_db()
    assert moved.status_code == 302 and delivery.courier == other_courier

    back = dispatcher_client.post(reverse("delivery:dispatch_unassign"), {"deliveries": [delivery.pk]})
    delivery.refresh_from_db()
    assert back.status_code == 302 and delivery.status == S.PENDING and delivery.courier is None

    events = list(delivery.events.values_list("from_status", "to_status", "by", "note"))
    assert events == [
        (S.ASSIGNED, S.ASSIGNED, dispatcher.pk, f"{world.courier} → {other_courier}"),
        (S.ASSIGNED, S.PENDING, dispatcher.pk, f"{other_courier} → —"),
    ]


def test_a_dispatcher_marks_failed_deliveries_returned(dispatcher_client, world, make_delivery):
    delivery = make_delivery(status=S.FAILED, courier=world.courier)
    response = dispatcher_client.post(reverse("delivery:dispatch_returned"), {"deliveries": [delivery.pk]})
    delivery.refresh_from_db()
    assert response.status_code == 302 and delivery.status == S.RETURNED and delivery.returned_at


def test_assign_automatically_spreads_waiting_deliveries(dispatcher_client, world, make_delivery, other_courier):
    make_delivery(status=S.ASSIGNED, courier=world.courier)
    waiting = [make_delivery() for _ in range(3)]

    response = dispatcher_client.post(reverse("delivery:dispatch_automatically"))

    assert response.status_code == 302
    couriers = [Delivery.objects.get(pk=d.pk).courier_id for d in waiting]
    assert None not in couriers
    # Same district: the courier already going there gets them all.
    assert set(couriers) == {world.courier.pk}


def test_assign_automatically_balances_by_load_across_districts(dispatcher_client, world, make_delivery,
                                                                other_courier):
    districts = [factories.district() for _ in range(4)]
    for district in districts:
        world.service.areas.create(district=district, fee=1000)
    waiting = [make_delivery(district=district) for district in districts]

    dispatcher_client.post(reverse("delivery:dispatch_automatically"))

    couriers = [Delivery.objects.get(pk=d.pk).courier_id for d in waiting]
    assert sorted(couriers) == sorted([world.courier.pk, world.courier.pk, other_courier.pk, other_courier.pk])


def test_a_delivery_no_longer_waiting_answers_409_and_nothing_is_assigned(
        dispatcher_client, world, make_delivery, other_courier):
    waiting = make_delivery()
    taken = make_delivery(status=S.ASSIGNED, courier=other_courier)

    response = dispatcher_client.post(reverse("delivery:dispatch_assign"), {
        "deliveries": [waiting.pk, taken.pk], "courier": world.courier.pk}, HTTP_ACCEPT_LANGUAGE="en")

    assert response.status_code == 409
    assert taken.order.number in response.content.decode()
    waiting.refresh_from_db()
    taken.refresh_from_db()
    assert waiting.status == S.PENDING and taken.courier == other_courier
    assert not DeliveryEvent.objects.exists()


def test_a_courier_of_another_service_answers_409(dispatcher_client, world, make_delivery):
    van = factories.service(districts=[world.district], name_en="Vans", vehicle="van")
    van_courier = factories.courier(service_=van)
    delivery = make_delivery()

    response = dispatcher_client.post(reverse("delivery:dispatch_assign"), {
        "deliveries": [delivery.pk], "courier": van_courier.pk})

    assert response.status_code == 409
    delivery.refresh_from_db()
    assert delivery.status == S.PENDING


@pytest.mark.parametrize(("name", "data"), [
    ("dispatch_assign", {}),
    ("dispatch_assign", {"deliveries": ["999999"], "courier": "COURIER"}),
    ("dispatch_assign", {"deliveries": ["DELIVERY"]}),
    ("dispatch_assign", {"deliveries": ["DELIVERY"], "courier": "abc"}),
    ("dispatch_reassign", {"deliveries": ["DELIVERY"], "courier": "999999"}),
    ("dispatch_unassign", {"deliveries": ["x"]}),
    ("dispatch_returned", {}),
])
def test_bad_input_answers_400_and_changes_nothing(dispatcher_client, world, make_delivery, name, data):
    delivery = make_delivery()
    replace = {"DELIVERY": str(delivery.pk), "COURIER": str(world.courier.pk)}
    data = {key: [replace.get(v, v) for v in value] if isinstance(value, list) else replace.get(value, value)
            for key, value in data.items()}
    response = dispatcher_client.post(reverse(f"delivery:{name}"), data)
    assert response.status_code == 400
    assert not DeliveryEvent.objects.exists()


def test_actions_refuse_get(dispatcher_client):
    for name in POSTS:
        assert dispatcher_client.get(reverse(f"delivery:{name}")).status_code == 405


@pytest.mark.django_db(transaction=True)
def test_two_dispatchers_assigning_one_delivery_at_once_record_one_change(world, make_delivery, other_courier):
    delivery = make_delivery()
    # Superusers: the race is about the row lock, not about the dispatcher role.
    clients = [Client(), Client()]
    for n, client in enumerate(clients):
        client.force_login(factories.user(f"boss{n}", is_staff=True, is_superuser=True))

    def assign(client, courier):
        return lambda: client.post(reverse("delivery:dispatch_assign"), {
            "deliveries": [delivery.pk], "courier": courier.pk}).status_code

    codes = race(assign(clients[0], world.courier), assign(clients[1], other_courier))

    assert sorted(codes) == [302, 409]
    assert DeliveryEvent.objects.filter(delivery=delivery).count() == 1


def test_a_dispatcher_finds_the_board_from_the_admin_s_delivery_list(dispatcher_client):
    response = dispatcher_client.get(reverse("admin:delivery_delivery_changelist"))
    assert response.status_code == 200
    assert f'href="{BOARD}"' in response.content.decode()


def test_the_board_flags_orders_whose_card_hold_lapses_within_a_day(dispatcher_client, world):
    def buy():
        return factories.paid_order(customer=world.customer, card_=world.card, address_=world.address,
                                    offer=Offer.objects.get(seller=world.store), slot_=world.slot)

    soon, later = buy(), buy()
    lapses = timezone.now() + timedelta(hours=20)
    Payment.objects.filter(pk=soon.payment_id).update(hold_expires_at=lapses)
    response = dispatcher_client.get(BOARD, HTTP_ACCEPT_LANGUAGE="en")
    assert [order.number for order in response.context["lapsing"]] == [soon.number]
    page = response.content.decode()
    assert "Card holds lapsing soon" in page
    assert f"hold lapses {timezone.localtime(lapses):%m-%d %H:%M}" in page
    assert page.count("hold lapsing") == 1, "its waiting delivery is flagged, the other order's is not"
    assert later.number in page


def test_the_board_shows_which_sellers_have_the_goods_ready(dispatcher_client, world, make_delivery):
    ready = make_delivery().mark_ready(by=None)
    started = make_delivery(status=S.ASSIGNED, courier=world.courier).mark_preparing(by=None)
    make_delivery()
    page = dispatcher_client.get(BOARD, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert page.count('<span class="status s-ready">Ready</span>') == 1
    assert page.count('<span class="status s-preparing">Preparing</span>') == 1
    assert ready.order.number in page and started.order.number in page
