"""Each failure reason, through HTTP from the courier's button to the end:
the order's status, each line's refund, the card, the ledger, the stock,
the slots and the customer's order page."""

import re
from datetime import timedelta

import pytest
from django.db import connection
from django.test import Client
from django.urls import reverse

from catalog.models import Offer
from delivery import services as delivery_services
from delivery.models import Delivery, TimeSlot
from orders import reconcile
from orders import services as order_services
from orders.models import Order
from payments import ledger
from payments.models import Payment
from tests import factories
from tests.races import race

pytestmark = pytest.mark.django_db

S = Delivery.Status
PRICE, FEE = 1500, 1000


@pytest.fixture
def bought(world):
    """Two of the store's soap, paid, assigned to the courier; with what the
    card and the offer held before."""
    offer = Offer.objects.get(seller=world.store)
    before = {"card": ledger.card_account(world.card).balance, "stock": offer.stock}
    order = factories.paid_order(customer=world.customer, card_=world.card, address_=world.address, offer=offer,
                                 slot_=world.slot, quantity=2)
    order.deliveries.get().assign(world.courier, by=None)
    return order, offer, before


def courier(world) -> Client:
    client = Client()
    client.force_login(world.courier.user)
    return client


def fail_after_pickup(world, order, reason, note=""):
    client = courier(world)
    delivery = order.deliveries.get()
    assert client.post(reverse("delivery:picked_up", args=[delivery.pk])).status_code == 302
    response = client.post(reverse("delivery:failed", args=[delivery.pk]), {"reason": reason, "note": note})
    assert response.status_code == 302
    return client, Delivery.objects.get(pk=delivery.pk)


def state(order, offer, world, before):
    order.refresh_from_db()
    line = order.lines.get()
    payment = Payment.objects.get(pk=order.payment_id)
    return {
        "order": order.status, "refunded units": line.refunded_quantity, "line refunded": line.refunded,
        "card paid": before["card"] - ledger.card_account(world.card).balance,
        "captured": payment.captured, "refunded": payment.refunded,
        "stock taken": before["stock"] - Offer.objects.get(pk=offer.pk).stock,
    }


def order_page(world, order) -> str:
    client = Client()
    client.force_login(world.customer)
    return client.get(order.get_absolute_url(), HTTP_ACCEPT_LANGUAGE="en").content.decode()


@pytest.mark.parametrize("reason", ["nobody_home", "wrong_address"])
def test_a_redelivery_in_a_slot_the_customer_picks_then_delivered(world, bought, reason):
    order, offer, before = bought
    client, delivery = fail_after_pickup(world, order, reason)
    assert (delivery.status, delivery.fault, delivery.next_step) == (S.FAILED, "customer", "redeliver")
    later = factories.slot(service_=world.service, starts_in=timedelta(days=1), capacity=1)
    page = order_page(world, order)
    assert f'<option value="{later.pk}">' in page and "Refund instead" in page

    customer = Client()
    customer.force_login(world.customer)
    response = customer.post(reverse("orders:redeliver", args=[order.number, delivery.pk]), {"slot": later.pk})

    assert response.status_code == 302
    delivery.refresh_from_db()
    assert (delivery.status, delivery.slot, delivery.courier, delivery.redeliveries) == (S.PENDING, later, None, 1)
    assert (TimeSlot.objects.get(pk=world.slot.pk).booked, TimeSlot.objects.get(pk=later.pk).booked) == (0, 1)
    delivery = delivery.assign(world.courier, by=None)
    assert client.post(reverse("delivery:picked_up", args=[delivery.pk])).status_code == 302
    delivered = client.post(reverse("delivery:delivered", args=[delivery.pk]), {"recipient_name": "김철민"})
    assert delivered.status_code == 302
    assert state(order, offer, world, before) == {
        "order": Order.Status.DELIVERED, "refunded units": 0, "line refunded": 0, "card paid": 2 * PRICE + FEE,
        "captured": 2 * PRICE + FEE, "refunded": 0, "stock taken": 2,
    }
    assert reconcile.problems(stock_before={offer.pk: before["stock"]}) == {}


def test_a_second_failure_of_a_redelivery_is_refunded(world, bought):
    order, offer, before = bought
    client, delivery = fail_after_pickup(world, order, "nobody_home")
    later = factories.slot(service_=world.service, starts_in=timedelta(days=1))
    delivery = delivery_services.reslot(delivery=delivery, slot_id=later.pk, by=world.customer)
    delivery = delivery.assign(world.courier, by=None)
    _client, delivery = fail_after_pickup(world, order, "nobody_home")
    assert delivery.next_step == "refund"
    assert state(order, offer, world, before)["order"] == Order.Status.REFUNDED


@pytest.mark.parametrize(("reason", "fault", "restocked"), [
    ("refused", "customer", True),
    ("damaged", "courier", False),
    ("hot_food_late", "courier", False),
])
def test_a_refund_gives_the_lines_and_the_fee_back_and_the_goods_follow(world, bought, reason, fault, restocked):
    order, offer, before = bought
    if reason == "hot_food_late":
        Delivery.objects.filter(order=order).update(is_hot_food=True)
    client, delivery = fail_after_pickup(world, order, reason)

    assert (delivery.status, delivery.fault, delivery.next_step) == (S.FAILED, fault, "refund")
    assert state(order, offer, world, before) == {
        "order": Order.Status.REFUNDED, "refunded units": 2, "line refunded": 2 * PRICE, "card paid": 0,
        "captured": 2 * PRICE + FEE, "refunded": 2 * PRICE + FEE, "stock taken": 2,
    }
    page = order_page(world, order)
    assert "2 refunded: ₩3,000" in page and "−₩4,000" in page

    assert client.post(reverse("delivery:returned", args=[delivery.pk])).status_code == 302
    assert state(order, offer, world, before)["stock taken"] == (0 if restocked else 2)
    assert Payment.objects.get(pk=order.payment_id).refunded == 2 * PRICE + FEE, "refunded once"
    assert reconcile.problems(stock_before={offer.pk: before["stock"]}) == {}


def test_the_seller_could_not_hand_it_over_so_the_hold_is_released(world, bought):
    order, offer, before = bought
    delivery = order.deliveries.get()

    response = courier(world).post(reverse("delivery:failed", args=[delivery.pk]), {"reason": "seller_short"})

    assert response.status_code == 302
    delivery.refresh_from_db()
    assert (delivery.status, delivery.fault) == (S.RETURNED, "seller")
    assert state(order, offer, world, before) == {
        "order": Order.Status.CANCELLED, "refunded units": 2, "line refunded": 2 * PRICE, "card paid": 0,
        "captured": 0, "refunded": 0, "stock taken": 2,
    }
    assert Payment.objects.get(pk=order.payment_id).status == Payment.Status.VOIDED
    assert TimeSlot.objects.get(pk=world.slot.pk).booked == 1, "the failed delivery keeps its place"
    assert reconcile.problems(stock_before={offer.pk: before["stock"]}) == {}


def test_other_goes_back_to_the_seller_and_is_refunded_on_return(world, bought):
    order, offer, before = bought
    client, delivery = fail_after_pickup(world, order, "other", "승강기 고장")
    assert (delivery.fault, delivery.next_step, delivery.failure_note) == ("nobody", "return", "승강기 고장")
    assert state(order, offer, world, before)["order"] == Order.Status.OUT_FOR_DELIVERY
    assert "Not delivered: Other. Next: Return to the seller." in order_page(world, order)

    assert client.post(reverse("delivery:returned", args=[delivery.pk])).status_code == 302

    assert state(order, offer, world, before) == {
        "order": Order.Status.REFUNDED, "refunded units": 2, "line refunded": 2 * PRICE, "card paid": 0,
        "captured": 2 * PRICE + FEE, "refunded": 2 * PRICE + FEE, "stock taken": 0,
    }
    assert reconcile.problems(stock_before={offer.pk: before["stock"]}) == {}


def test_the_customer_would_rather_have_the_money(world, bought, customer_client):
    order, offer, before = bought
    _client, delivery = fail_after_pickup(world, order, "nobody_home")

    response = customer_client.post(reverse("orders:refund_instead", args=[order.number, delivery.pk]))

    assert response.status_code == 302
    assert state(order, offer, world, before)["order"] == Order.Status.REFUNDED
    again = customer_client.post(reverse("orders:redeliver", args=[order.number, delivery.pk]), {"slot": 1})
    assert again.status_code == 400, "no slot to choose any more"


def test_a_reslot_into_a_full_slot_answers_409_and_changes_nothing(world, bought, customer_client):
    order, _offer, _before = bought
    _client, delivery = fail_after_pickup(world, order, "nobody_home")
    full = factories.slot(service_=world.service, starts_in=timedelta(days=1), capacity=1)
    TimeSlot.objects.filter(pk=full.pk).update(booked=1)
    url = reverse("orders:redeliver", args=[order.number, delivery.pk])

    assert customer_client.post(url, {"slot": full.pk}).status_code == 400, "not on offer: full"
    assert customer_client.post(url, {"slot": "x"}).status_code == 400
    delivery.refresh_from_db()
    assert (delivery.status, delivery.slot_id, delivery.redeliveries) == (S.FAILED, world.slot.pk, 0)
    assert TimeSlot.objects.get(pk=full.pk).booked == 1


def test_someone_else_s_delivery_is_not_found(world, bought, client):
    order, _offer, _before = bought
    _client, delivery = fail_after_pickup(world, order, "nobody_home")
    client.force_login(factories.user())
    assert client.post(reverse("orders:refund_instead", args=[order.number, delivery.pk])).status_code == 404
    assert client.post(reverse("orders:redeliver", args=[order.number, delivery.pk]), {}).status_code == 404


def test_a_line_of_a_delivered_delivery_can_be_reviewed_when_another_failed(world, customer_client):
    store, factory = Offer.objects.get(seller=world.store), Offer.objects.get(seller=world.factory)
    cart = order_services.Cart.objects.get_or_create(user=world.customer)[0]
    order_services.add_to_cart(cart=cart, offer=store, quantity=1)
    order = factories.paid_order(customer=world.customer, card_=world.card, address_=world.address, offer=factory,
                                 slot_=world.slot)
    client = courier(world)
    for delivery in order.deliveries.order_by("pk"):
        delivery.assign(world.courier, by=None)
        client.post(reverse("delivery:picked_up", args=[delivery.pk]))
    kept, failed = order.deliveries.get(seller=world.store), order.deliveries.get(seller=world.factory)
    client.post(reverse("delivery:delivered", args=[kept.pk]), {"recipient_name": "김철민"})
    client.post(reverse("delivery:failed", args=[failed.pk]), {"reason": "damaged"})

    order.refresh_from_db()
    assert order.status == Order.Status.PARTLY_DELIVERED
    payment = Payment.objects.get(pk=order.payment_id)
    assert payment.refunded == factory.price, "the fee stays: something was delivered"
    good, bad = order.lines.get(seller=world.store), order.lines.get(seller=world.factory)
    review = {f"review-{good.pk}-stars": 5, f"review-{good.pk}-text": "좋아요"}
    assert customer_client.post(reverse("orders:review", args=[order.number, good.pk]), review).status_code == 302
    bad_review = {f"review-{bad.pk}-stars": 1}
    assert customer_client.post(reverse("orders:review", args=[order.number, bad.pk]), bad_review).status_code == 409
    assert reconcile.problems() == {}


@pytest.mark.django_db(transaction=True)
def test_a_failure_and_the_customer_removing_the_line_at_once_move_money_once(world):
    offer = Offer.objects.get(seller=world.store)
    order = factories.paid_order(customer=world.customer, card_=world.card, address_=world.address, offer=offer,
                                 slot_=world.slot)
    delivery = order.deliveries.get().assign(world.courier, by=None)
    line = order.lines.get()
    courier_client, customer = courier(world), Client()
    customer.force_login(world.customer)

    codes = race(
        lambda: courier_client.post(reverse("delivery:failed", args=[delivery.pk]),
                                    {"reason": "seller_short"}).status_code,
        lambda: customer.post(reverse("orders:cancel_line", args=[order.number, line.pk])).status_code,
    )

    assert sorted(codes) == [302, 409]
    line.refresh_from_db()
    assert line.refunded_quantity == 1 and order.refunds.count() == 1
    assert Payment.objects.get(pk=order.payment_id).status == Payment.Status.VOIDED
    assert Order.objects.get(pk=order.pk).status == Order.Status.CANCELLED
    assert reconcile.problems() == {}
    connection.close()


def test_the_dispatcher_sees_each_failure_with_its_reason_step_and_age_and_acts(world, bought, dispatcher_client):
    order, offer, before = bought
    _client, delivery = fail_after_pickup(world, order, "nobody_home")
    later = factories.slot(service_=world.service, starts_in=timedelta(days=1))

    page = dispatcher_client.get(reverse("delivery:dispatch"), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "Nobody home" in page and "<strong>Redeliver</strong>" in page and "ago" in page
    assert f'<option value="{later.pk}">' in page

    full = factories.slot(service_=world.service, starts_in=timedelta(days=2), capacity=1)
    TimeSlot.objects.filter(pk=full.pk).update(booked=1)
    refused = dispatcher_client.post(reverse("delivery:dispatch_reslot"), {"deliveries": [delivery.pk],
                                                                           "slot": full.pk})
    assert refused.status_code == 409 and Delivery.objects.get(pk=delivery.pk).status == S.FAILED
    response = dispatcher_client.post(reverse("delivery:dispatch_reslot"), {"deliveries": [delivery.pk],
                                                                            "slot": later.pk})
    assert response.status_code == 302
    assert Delivery.objects.get(pk=delivery.pk).slot == later


def test_the_dispatcher_refunds_a_redelivery_instead(world, bought, dispatcher_client):
    order, offer, before = bought
    _client, delivery = fail_after_pickup(world, order, "wrong_address")
    response = dispatcher_client.post(reverse("delivery:dispatch_refund"), {"deliveries": [delivery.pk]})
    assert response.status_code == 302
    assert state(order, offer, world, before)["order"] == Order.Status.REFUNDED


@pytest.mark.django_db(transaction=True)
def test_two_finance_clerks_refunding_the_same_line_at_once_refund_once(world):
    offer = Offer.objects.get(seller=world.store)
    order = factories.paid_order(customer=world.customer, card_=world.card, address_=world.address, offer=offer,
                                 slot_=world.slot)
    _client, _delivery = fail_after_pickup(world, order.deliveries.get().assign(world.courier, by=None).order,
                                           "nobody_home")
    line = order.lines.get()
    clerks = []
    for n in range(2):
        clerk = factories.finance_clerk(f"clerk{n}")
        client = Client()
        client.force_login(clerk)
        clerks.append(client)
    url = reverse("admin:orders_order_refund", args=[order.pk])
    tokens = [client.get(url).context["form"]["token"].value() for client in clerks]

    posts = [{"token": token, f"line-{line.pk}": 1, "reason": "x"} for token in tokens]
    codes = race(*[lambda client=client, data=data: client.post(url, data).status_code
                   for client, data in zip(clerks, posts, strict=True)])

    assert sorted(codes) == [302, 409]
    assert order.refunds.count() == 1
    assert Payment.objects.get(pk=order.payment_id).refunded == PRICE + FEE, "the fee too: nothing was delivered"
    connection.close()


def test_the_dispatcher_marks_failed_a_delivery_nobody_picked_up_with_csrf(world, bought, dispatcher):
    order, offer, before = bought
    delivery = order.deliveries.get()
    board = Client(enforce_csrf_checks=True)
    board.force_login(dispatcher)
    page = board.get(reverse("delivery:dispatch")).content.decode()
    url = reverse("delivery:dispatch_failed", args=[delivery.pk])
    token = re.search(rf'<form id="fail-{delivery.pk}" action="{url}" method="post">'
                      r'<input type="hidden" name="csrfmiddlewaretoken" value="([^"]+)">', page).group(1)
    assert f'name="reason" form="fail-{delivery.pk}"' in page

    assert board.post(url, {"reason": "seller_short"}).status_code == 403, "no token, no change"
    assert Delivery.objects.get(pk=delivery.pk).status == S.ASSIGNED
    response = board.post(url, {"reason": "seller_short", "csrfmiddlewaretoken": token})

    assert response.status_code == 302 and response["Location"] == reverse("delivery:dispatch")
    delivery.refresh_from_db()
    assert (delivery.status, delivery.fault, delivery.next_step) == (S.RETURNED, "seller", "refund")
    assert delivery.events.get(to_status=S.FAILED).by == dispatcher
    assert state(order, offer, world, before) == {
        "order": Order.Status.CANCELLED, "refunded units": 2, "line refunded": 2 * PRICE, "card paid": 0,
        "captured": 0, "refunded": 0, "stock taken": 2,
    }
    again = board.post(url, {"reason": "damaged", "csrfmiddlewaretoken": token})
    assert again.status_code == 409, "a second press finds it failed already"
    assert Delivery.objects.get(pk=delivery.pk).failure_reason == "seller_short"
    assert reconcile.problems(stock_before={offer.pk: before["stock"]}) == {}


@pytest.mark.parametrize("data, message", [
    ({}, "배달하지 못한 리유를"), ({"reason": "lost_in_space"}, "배달하지 못한 리유를"),
    ({"reason": "other"}, "메모에 쓰십시오"),
])
def test_a_bad_reason_from_the_dispatcher_answers_400_and_changes_nothing(world, bought, dispatcher_client, data,
                                                                         message):
    order, offer, before = bought
    delivery = order.deliveries.get()
    response = dispatcher_client.post(reverse("delivery:dispatch_failed", args=[delivery.pk]), data)
    assert response.status_code == 400 and message in response.content.decode()
    assert Delivery.objects.get(pk=delivery.pk).status == S.ASSIGNED
    assert not delivery.events.filter(to_status=S.FAILED).exists()


def test_an_unknown_delivery_answers_404_and_only_dispatchers_may_fail(world, bought, dispatcher_client, client):
    delivery = bought[0].deliveries.get()
    assert dispatcher_client.post(reverse("delivery:dispatch_failed", args=[delivery.pk + 1000]),
                                  {"reason": "seller_short"}).status_code == 404
    assert dispatcher_client.get(reverse("delivery:dispatch_failed", args=[delivery.pk])).status_code == 405
    client.force_login(world.courier.user)
    assert client.post(reverse("delivery:dispatch_failed", args=[delivery.pk]),
                       {"reason": "seller_short"}).status_code == 403
    assert Delivery.objects.get(pk=delivery.pk).status == S.ASSIGNED


def test_a_parcel_in_the_courier_s_hands_is_not_the_dispatcher_s_to_fail(world, bought, dispatcher_client):
    delivery = bought[0].deliveries.get()
    assert courier(world).post(reverse("delivery:picked_up", args=[delivery.pk])).status_code == 302
    response = dispatcher_client.post(reverse("delivery:dispatch_failed", args=[delivery.pk]),
                                      {"reason": "damaged"}, HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 409 and "nothing was changed" in response.content.decode()
    assert Delivery.objects.get(pk=delivery.pk).status == S.PICKED_UP
