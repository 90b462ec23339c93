"""Every POST view fuzzed with Hypothesis: whatever the fields hold, the
answer is never a 5xx. Hidden fields that a client could tamper with
(price, total, status, owner, staff flags) are ignored.

The table is checked against the URLconf, so a new URL fails
``test_every_url_is_fuzzed_or_listed_as_read_only`` until it is listed.
"""

import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import time, timedelta

import pytest
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.utils import timezone
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from catalog.models import Offer
from delivery.models import Delivery
from lodging import services as lodging_services
from lodging.models import Lodging, RoomType
from okryu.models import User
from orders.models import Cart, CartLine, Order
from payments.models import Card
from tests import factories

EXAMPLES_PER_VIEW = 40

# Pages that take no form: a POST to them changes nothing (or is refused).
READ_ONLY = {
    "healthz", "media", "okryu:password_changed",
    "catalog:home", "catalog:search", "catalog:suggest", "catalog:category", "catalog:product", "catalog:seller",
    "catalog:captions", "catalog:wish_list", "catalog:seller_score",
    "orders:cart", "orders:addresses", "orders:list", "orders:detail", "orders:receipt", "payments:card",
    "delivery:courier",
    "delivery:worker",
    "delivery:dispatch", "notices:inbox", "notices:open",
    "lodging:search", "lodging:detail", "lodging:reservations", "lodging:reservation", "lodging:confirmation",
}


@dataclass(frozen=True)
class PostView:
    who: str  # "customer", "courier", "dispatcher" or "anonymous"
    fields: tuple[str, ...]
    args: Callable = lambda shop: []


POST_VIEWS = {
    "okryu:login": PostView("anonymous", ("username", "password", "next")),
    "okryu:logout": PostView("customer", ("next",)),
    "okryu:register": PostView("anonymous", ("username", "first_name", "phone", "password1", "password2")),
    "okryu:password_change": PostView("customer", ("old_password", "new_password1", "new_password2")),
    "set_language": PostView("anonymous", ("language", "next")),
    "orders:add": PostView("customer", ("offer", "quantity", "next", "price", "prescription")),
    "catalog:change_wish": PostView("customer", ("action", "next"), lambda shop: [shop.line.offer.product.slug]),
    "orders:update_line": PostView("customer", ("quantity", "remove"), lambda shop: [shop.line.pk]),
    "orders:switch_line": PostView("customer", ("offer",), lambda shop: [shop.line.pk]),
    "orders:checkout": PostView("customer", ("address", "recipient_name", "phone", "district", "line")),
    "orders:checkout_pay": PostView("customer", ("token", "cart", "slot", "card", "card_number", "pin", "total")),
    "orders:cancel": PostView("customer", ("status",), lambda shop: [shop.order.number]),
    "payments:cards": PostView("customer", ("number", "pin", "owner")),
    "payments:change_pin": PostView("customer", ("old_pin", "new_pin", "new_pin_again"),
                                    lambda shop: [shop.world.card.pk]),
    "payments:report_lost": PostView("customer", ("status", "pin"), lambda shop: [shop.world.card.pk]),
    "payments:unlink": PostView("customer", ("owner",), lambda shop: [shop.world.card.pk]),
    "delivery:picked_up": PostView("courier", ("status",), lambda shop: [shop.delivery.pk]),
    "delivery:delivered": PostView("courier", ("recipient_name", "courier"), lambda shop: [shop.delivery.pk]),
    "delivery:failed": PostView("courier", ("reason",), lambda shop: [shop.delivery.pk]),
    "delivery:returned": PostView("courier", ("status",), lambda shop: [shop.delivery.pk]),
    "orders:review": PostView(
        "customer", ("stars", "text", "author"), lambda shop: [shop.order.number, shop.order.lines.get().pk]
    ),
    "delivery:dispatch_assign": PostView("dispatcher", ("deliveries", "courier")),
    "delivery:dispatch_reassign": PostView("dispatcher", ("deliveries", "courier")),
    "delivery:dispatch_unassign": PostView("dispatcher", ("deliveries",)),
    "delivery:dispatch_returned": PostView("dispatcher", ("deliveries",)),
    "delivery:dispatch_automatically": PostView("dispatcher", ("deliveries",)),
    "delivery:dispatch_refund": PostView("dispatcher", ("deliveries",)),
    "delivery:dispatch_reslot": PostView("dispatcher", ("deliveries", "slot")),
    "delivery:dispatch_failed": PostView("dispatcher", ("reason", "note"), lambda shop: [shop.delivery.pk]),
    "orders:cancel_line": PostView("customer", ("status",),
                                   lambda shop: [shop.order.number, shop.order.lines.get().pk]),
    "orders:redeliver": PostView("customer", ("slot",), lambda shop: [shop.order.number, shop.delivery.pk]),
    "orders:refund_instead": PostView("customer", ("status",), lambda shop: [shop.order.number, shop.delivery.pk]),
    "okryu:password_reset": PostView("anonymous", ("login",)),
    "okryu:password_reset_code": PostView("anonymous", ("code", "new_password1", "new_password2")),
    "notices:mark_all_read": PostView("customer", ("status",)),
    "notices:settings": PostView("customer", ("texts",)),
    "okryu:profile": PostView("customer", ("first_name", "phone", "language", "texts", "username", "is_staff")),
    "okryu:erase_account": PostView("customer", ("password",)),
    "orders:address_add": PostView("customer", ("recipient_name", "phone", "district", "line", "user", "is_default")),
    "orders:address_edit": PostView("customer", ("recipient_name", "phone", "district", "line", "user"),
                                    lambda shop: [shop.world.address.pk]),
    "orders:address_delete": PostView("customer", ("status",), lambda shop: [shop.world.address.pk]),
    "orders:address_default": PostView("customer", ("status",), lambda shop: [shop.world.address.pk]),
    "lodging:reserve": PostView(
        "customer", ("arrival", "departure", "guests", "token", "guest_names", "arrival_time", "requests", "total"),
        lambda shop: [shop.room.lodging.slug, shop.room.pk],
    ),
    "lodging:pay": PostView("customer", ("card", "card_number", "pin", "total"), lambda shop: [shop.stay.code]),
    "lodging:cancel": PostView("customer", ("refund", "status"), lambda shop: [shop.stay.code]),
}


def _url_names(resolver: URLResolver, namespace: str = ""):
    for pattern in resolver.url_patterns:
        if isinstance(pattern, URLResolver):
            if pattern.namespace != "admin":
                yield from _url_names(pattern, ":".join(filter(None, [namespace, pattern.namespace])))
        elif isinstance(pattern, URLPattern) and pattern.name:
            yield ":".join(filter(None, [namespace, pattern.name]))


def test_every_url_is_fuzzed_or_listed_as_read_only():
    names = set(_url_names(get_resolver()))
    assert names == READ_ONLY | set(POST_VIEWS), "fuzz a new POST view in POST_VIEWS, or list it in READ_ONLY"


class Shop:
    """The world plus a paid order assigned to the world's courier, and a cart line."""

    def __init__(self, world):
        self.world = world
        offer = world.soap.offers.order_by("price").first()
        self.order = factories.paid_order(
            customer=world.customer, card_=world.card, address_=world.address, offer=offer, slot_=world.slot,
        )
        self.delivery = Delivery.objects.get(order=self.order).assign(world.courier, by=None)
        self.line = CartLine.objects.create(
            cart=Cart.objects.get(user=world.customer), offer=offer, quantity=1, price_when_added=offer.price,
        )
        self.room = RoomType.objects.create(lodging=Lodging.objects.create(
            seller=factories.seller(), slug="fuzz-hotel", name_ko="호텔", district=world.district, address="-",
            check_in_from=time(14), check_out_until=time(12),
        ), name_ko="방", base_rate=10_000, room_count=3)
        arrival = timezone.localdate() + timedelta(days=3)
        self.stay = lodging_services.hold_stay(
            user=world.customer, room_type=self.room, arrival=arrival, departure=arrival + timedelta(days=2),
            guests=1, guest_names="김영호", arrival_time=None, requests="", token=uuid.uuid4(),
        )
        # Values that mean something here, so that examples also reach the code behind valid input.
        self.meaningful = [
            str(offer.pk), str(world.slot.pk), str(world.card.pk), world.card.number, str(world.address.pk),
            str(world.district.pk), str(self.delivery.pk), str(world.courier.pk), factories.PIN, factories.PASSWORD,
            "customer", "1", "0", "-1", "other",
            self.order.number, "absent", "en", "ko", "/", "//evil.example/", "00000000-0000-0000-0000-000000000000",
            arrival.isoformat(), (arrival + timedelta(days=1)).isoformat(), "2", "14:00", "20000",
        ]

    def client(self, who: str) -> Client:
        client = Client()
        if who == "customer":
            client.force_login(self.world.customer)
        elif who == "courier":
            client.force_login(self.world.courier.user)
        elif who == "dispatcher":
            client.force_login(factories.user(is_staff=True, is_superuser=True))
        return client


@pytest.fixture
def shop(world):
    return Shop(world)


def _values(shop: Shop):
    return st.one_of(
        st.text(max_size=60),
        st.integers(min_value=-(2**63), max_value=2**63).map(str),
        st.sampled_from(shop.meaningful),
    )


@pytest.mark.django_db
@pytest.mark.parametrize("name", sorted(POST_VIEWS))
def test_no_post_gives_a_server_error(name, shop):
    view = POST_VIEWS[name]
    url = reverse(name, args=view.args(shop))
    client = shop.client(view.who)
    if name == "orders:checkout_pay":
        client.post(reverse("orders:checkout"), {"address": shop.world.address.pk})
    answers = []

    @hypothesis_settings(
        max_examples=EXAMPLES_PER_VIEW, deadline=None, database=None,
        suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    )
    @given(st.fixed_dictionaries({}, optional={field: _values(shop) for field in view.fields}))
    def post(data):
        response = client.post(url, data)
        answers.append(response.status_code)
        assert response.status_code < 500, (data, response.status_code)

    post()
    assert len(answers) >= min(EXAMPLES_PER_VIEW, 10)


# Tampered hidden fields.

@pytest.mark.django_db
def test_a_price_sent_with_add_to_cart_is_ignored(customer_client, world):
    offer = Offer.objects.get(seller=world.store)
    customer_client.post(reverse("orders:add"), {"offer": offer.pk, "quantity": 1, "price": 1, "price_when_added": 1})
    assert CartLine.objects.get(offer=offer).price_when_added == offer.price == 1500


@pytest.mark.django_db
def test_totals_status_and_owner_sent_with_checkout_are_ignored(customer_client, world):
    other = factories.user()
    offer = Offer.objects.get(seller=world.factory)
    customer_client.post(reverse("orders:add"), {"offer": offer.pk, "quantity": 2})
    customer_client.post(reverse("orders:checkout"), {"address": world.address.pk})
    page = customer_client.get(reverse("orders:checkout_pay")).content.decode()
    token = page.split('name="token" value="', 1)[1].split('"', 1)[0]
    cart = page.split('name="cart" value="', 1)[1].split('"', 1)[0]
    customer_client.post(reverse("orders:checkout_pay"), {
        "token": token, "cart": cart, "slot": world.slot.pk, "card": str(world.card.pk), "pin": factories.PIN,
        "total": 1, "subtotal": 1, "delivery_fee": 0, "price": 1, "status": "delivered", "user": other.pk,
        "owner": other.pk,
    })
    order = Order.objects.get()
    assert order.user == world.customer
    assert order.total == 2 * 1400 + 1000
    assert order.status == Order.Status.PAID


@pytest.mark.django_db
def test_staff_flags_sent_with_registration_are_ignored(client):
    client.post(reverse("okryu:register"), {
        "username": "mallory", "first_name": "Mallory", "phone": "0191 234 5678", "password1": "a-long-pass-99",
        "password2": "a-long-pass-99", "is_staff": "on", "is_superuser": "on",
    })
    mallory = User.objects.get(username="mallory")
    assert not mallory.is_staff and not mallory.is_superuser


@pytest.mark.django_db
def test_an_owner_or_staff_flag_sent_with_the_account_forms_is_ignored(customer_client, world):
    other = factories.user()
    customer_client.post(reverse("okryu:profile"), {"first_name": "New", "phone": "0191 234 5678",
                                                    "language": "ko", "username": "root", "is_staff": "on"})
    customer_client.post(reverse("orders:address_add"), {
        "recipient_name": "New", "phone": "0191 234 5678", "district": world.district.pk, "line": "TAMPER-1",
        "user": other.pk})
    customer = User.objects.get(pk=world.customer.pk)
    assert (customer.username, customer.is_staff, customer.first_name) == ("customer", False, "New")
    assert world.customer.addresses.filter(line="TAMPER-1").exists()
    assert not other.addresses.exists()


@pytest.mark.django_db
def test_an_owner_sent_with_card_linking_is_ignored(customer_client, world):
    other = factories.user()
    loose = factories.card(owner=None, balance=0)
    customer_client.post(reverse("payments:cards"), {"number": loose.number, "pin": factories.PIN, "owner": other.pk})
    assert Card.objects.get(pk=loose.pk).owner == world.customer


@pytest.mark.django_db
def test_a_status_sent_with_a_courier_step_is_ignored(world, shop):
    client = shop.client("courier")
    client.post(reverse("delivery:picked_up", args=[shop.delivery.pk]), {"status": "delivered"})
    assert Delivery.objects.get(pk=shop.delivery.pk).status == Delivery.Status.PICKED_UP
