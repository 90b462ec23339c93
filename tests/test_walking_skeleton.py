"""The whole journey through real pages and forms: browse, cart, log in,
check out, pay, see the order; staff see it; the courier delivers it."""


import pytest
from django.urls import reverse

from catalog.models import Offer
from delivery.models import Delivery
from orders.models import Order
from payments.models import Payment
from tests.factories import PASSWORD, PIN, user
from tests.orders.helpers import checkout_token, shown_cart

pytestmark = pytest.mark.django_db


def test_a_customer_buys_and_the_courier_delivers(client, world):
    home = client.get("/")
    assert home.status_code == 200
    assert "인삼비누" in home.content.decode() or "비누" in home.content.decode()

    listing = client.get(reverse("catalog:category", args=["soap"]))
    assert "인삼비누" in listing.content.decode()

    product = client.get(reverse("catalog:product", args=["ginseng-soap"]))
    page = product.content.decode()
    assert page.index("봄향기공장") < page.index("광복상점"), "the cheaper offer comes first"
    cheaper = Offer.objects.get(seller=world.factory)

    added = client.post(reverse("orders:add"), {"offer": cheaper.pk, "quantity": 2})
    assert added.status_code == 302
    assert client.get(reverse("orders:checkout")).status_code == 302, "checkout asks for a login"

    logged_in = client.post(reverse("okryu:login"), {"username": "customer", "password": PASSWORD})
    assert logged_in.status_code == 302
    cart = client.get(reverse("orders:cart"))
    assert "인삼비누" in cart.content.decode(), "the anonymous cart follows the customer into the account"

    chosen = client.post(reverse("orders:checkout"), {"address": world.address.pk})
    assert chosen.status_code == 302
    pay_page = client.get(reverse("orders:checkout_pay"))
    assert pay_page.status_code == 200
    paid = client.post(reverse("orders:checkout_pay"), {
        "token": checkout_token(pay_page), "cart": shown_cart(pay_page), "slot": world.slot.pk,
        "card": str(world.card.pk), "pin": PIN,
    })
    order = Order.objects.get(user=world.customer)
    assert paid.status_code == 302 and paid["Location"] == order.get_absolute_url()
    assert order.status == Order.Status.PAID
    assert order.total == 2 * 1400 + 1000
    assert Offer.objects.get(pk=cheaper.pk).stock == 3
    assert order.payment.status == Payment.Status.AUTHORIZED

    detail = client.get(order.get_absolute_url())
    assert order.number in detail.content.decode()
    assert "결제됨" in detail.content.decode() or "Paid" in detail.content.decode()

    staff = user("boss", is_staff=True, is_superuser=True)
    client.force_login(staff)
    admin_list = client.get(reverse("admin:orders_order_changelist"))
    assert order.number in admin_list.content.decode()
    delivery = Delivery.objects.get(order=order)
    client.post(reverse("admin:delivery_delivery_changelist"), {
        "action": "assign_automatically", "_selected_action": [delivery.pk],
    })
    delivery.refresh_from_db()
    assert delivery.courier == world.courier

    client.force_login(world.courier.user)
    courier_page = client.get(reverse("delivery:courier"))
    assert order.number in courier_page.content.decode()
    client.post(reverse("delivery:picked_up", args=[delivery.pk]))
    order.refresh_from_db()
    assert order.status == Order.Status.OUT_FOR_DELIVERY
    assert order.payment.status == Payment.Status.CAPTURED
    client.post(reverse("delivery:delivered", args=[delivery.pk]), {"recipient_name": "김철민"})

    client.force_login(world.customer)
    order.refresh_from_db()
    assert order.status == Order.Status.DELIVERED
    final = client.get(order.get_absolute_url()).content.decode()
    assert "배달됨" in final or "Delivered" in final


def test_a_wrong_pin_says_so_and_creates_nothing(customer_client, world):
    offer = Offer.objects.get(seller=world.store)
    customer_client.post(reverse("orders:add"), {"offer": offer.pk, "quantity": 1})
    customer_client.post(reverse("orders:checkout"), {"address": world.address.pk})
    pay_page = customer_client.get(reverse("orders:checkout_pay"))
    response = customer_client.post(reverse("orders:checkout_pay"), {
        "token": checkout_token(pay_page), "cart": shown_cart(pay_page), "slot": world.slot.pk,
        "card": str(world.card.pk), "pin": "9999",
    })
    assert response.status_code == 409
    assert "PIN" in response.content.decode()
    assert "9999" not in response.content.decode()
    assert Order.objects.count() == 0
    assert Payment.objects.count() == 0
    assert Offer.objects.get(pk=offer.pk).stock == 10
    world.slot.refresh_from_db()
    assert world.slot.booked == 0


def test_an_empty_cart_cannot_check_out(customer_client, world):
    response = customer_client.get(reverse("orders:checkout"), follow=True)
    assert response.redirect_chain[-1][0] == reverse("orders:cart")
    assert "비어" in response.content.decode() or "empty" in response.content.decode()
    posted = customer_client.post(reverse("orders:checkout_pay"), {"pin": PIN}, follow=True)
    assert Order.objects.count() == 0
    assert posted.status_code == 200


def test_healthz_answers_ok_with_the_database(client, db):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"database": "ok"}
