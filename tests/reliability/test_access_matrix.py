"""The access matrix: every URL that names a private object, requested by
its owner and by everyone else, with GET and POST.

The URLs come from the URLconf itself. A new URL that takes an argument
fails ``test_every_url_with_an_argument_is_in_the_matrix`` until it is either
listed in PUBLIC or given an entry in MATRIX: nobody adds a private page
without saying who may open it.
"""

import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import time, timedelta

import pytest
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.utils import timezone

from catalog.models import Offer
from delivery.models import Delivery
from lodging import services as lodging_services
from lodging.models import Lodging, Reservation, RoomType
from okryu.notices.models import Notice
from orders import services as order_services
from orders.models import Address, Cart, CartLine, Order
from payments.models import Card
from tests import factories

# URLs with an argument that anyone may open: catalogue pages, captions and
# media (a wish-list change names a public product and changes only the
# requester's own list).
PUBLIC = {"catalog:category", "catalog:product", "catalog:seller", "catalog:seller_score", "catalog:captions",
          "media", "lodging:detail", "lodging:reserve", "catalog:change_wish"}
# URLs with an argument for the dispatcher's board, on any delivery: their
# users own no object, and everyone but a dispatcher is refused.
DISPATCHER_ONLY = {"delivery:dispatch_failed"}
# The admin checks its own model permissions on every page; it is not ours to list.
SKIPPED_NAMESPACES = {"admin"}

PERSONAS = ["owner", "other_customer", "courier", "other_courier", "staff", "anonymous"]


@dataclass(frozen=True)
class Entry:
    """Who owns the object behind a URL and what its strangers get."""

    owner: str  # "buyer" or "courier": the scenario's person who owns the object
    args: Callable[["Scenario"], list]
    state: Callable[["Scenario"], object]  # what must not change when a stranger calls
    secret: Callable[["Scenario"], str]  # owner's data that must never reach a stranger
    post_only: bool = False
    # What a logged-in stranger may get: 404, or (for cart lines) a redirect
    # back to their own cart when they have no cart at all.
    denied: frozenset = frozenset({404})
    anonymous: str = "login"  # what anonymous visitors get: sent to "login", or "404"
    # What the owner may get: a page or a redirect, or for a step that does
    # not fit the object's state yet (deliver before pickup), a refusal.
    allowed: frozenset = frozenset({200, 302})


def _order_state(s):
    order = Order.objects.get(pk=s.order.pk)
    return order.status, list(Delivery.objects.filter(order=order).values_list("status", "courier_id"))


def _card_state(s):
    return Card.objects.filter(pk=s.card.pk).values_list("status", "owner_id", "failed_pin_attempts").get()


def _line_state(s):
    return list(CartLine.objects.filter(pk=s.line.pk).values_list("quantity", "cart_id", "offer_id"))


def _delivery_state(s):
    return Delivery.objects.filter(pk=s.delivery.pk).values_list("status", "courier_id", "recipient_name").get()


def _notice_state(s):
    return Notice.objects.filter(pk=s.notice.pk).values_list("read_at", flat=True).get()


def _reservation_state(s):
    return Reservation.objects.filter(pk=s.reservation.pk).values_list("status", "payment__refunded").get()


def _address_state(s):
    return list(Address.objects.filter(pk=s.address.pk).values_list("line", "phone", "is_default"))


def _address(**options) -> Entry:
    return Entry("buyer", lambda s: [s.address.pk], _address_state, lambda s: s.address.line, **options)


def _stay(**options) -> Entry:
    return Entry("buyer", lambda s: [s.reservation.code], _reservation_state, lambda s: s.reservation.guest_names,
                 **options)


MATRIX = {
    "orders:detail": Entry("buyer", lambda s: [s.order.number], _order_state, lambda s: s.order.address_line),
    "orders:receipt": Entry("buyer", lambda s: [s.order.number], _order_state, lambda s: s.order.address_line),
    "orders:cancel": Entry("buyer", lambda s: [s.order.number], _order_state, lambda s: s.order.address_line,
                           post_only=True),
    "orders:update_line": Entry("buyer", lambda s: [s.line.pk], _line_state, lambda s: s.order.address_line,
                                post_only=True, anonymous="404"),
    "orders:switch_line": Entry("buyer", lambda s: [s.line.pk], _line_state, lambda s: s.order.address_line,
                                post_only=True, anonymous="404"),
    "orders:review": Entry("buyer", lambda s: [s.order.number, s.order.lines.get().pk], _order_state,
                           lambda s: s.order.address_line, post_only=True, allowed=frozenset({302, 409})),
    "orders:cancel_line": Entry("buyer", lambda s: [s.order.number, s.order.lines.get().pk], _order_state,
                                lambda s: s.order.address_line, post_only=True, allowed=frozenset({302, 409})),
    # A delivery that has not failed: the owner's choice is refused (no slot sent: 400).
    "orders:redeliver": Entry("buyer", lambda s: [s.order.number, s.delivery.pk], _order_state,
                              lambda s: s.order.address_line, post_only=True, allowed=frozenset({302, 400, 409})),
    "orders:refund_instead": Entry("buyer", lambda s: [s.order.number, s.delivery.pk], _order_state,
                                   lambda s: s.order.address_line, post_only=True, allowed=frozenset({302, 409})),
    "payments:card": Entry("buyer", lambda s: [s.card.pk], _card_state, lambda s: s.card.masked_number),
    "payments:change_pin": Entry("buyer", lambda s: [s.card.pk], _card_state, lambda s: s.card.masked_number,
                                 post_only=True),
    "payments:report_lost": Entry("buyer", lambda s: [s.card.pk], _card_state, lambda s: s.card.masked_number,
                                  post_only=True),
    "payments:unlink": Entry("buyer", lambda s: [s.card.pk], _card_state, lambda s: s.card.masked_number,
                             post_only=True),
    # Opening a notice marks it read and leads to its order.
    "notices:open": Entry("buyer", lambda s: [s.notice.pk], _notice_state, lambda s: s.notice.text),
    "delivery:picked_up": Entry("courier", lambda s: [s.delivery.pk], _delivery_state,
                                lambda s: s.order.address_line, post_only=True),
    "delivery:delivered": Entry("courier", lambda s: [s.delivery.pk], _delivery_state,
                                lambda s: s.order.address_line, post_only=True, allowed=frozenset({302, 409})),
    "delivery:failed": Entry("courier", lambda s: [s.delivery.pk], _delivery_state,
                             lambda s: s.order.address_line, post_only=True, allowed=frozenset({302, 409})),
    "delivery:returned": Entry("courier", lambda s: [s.delivery.pk], _delivery_state,
                               lambda s: s.order.address_line, post_only=True, allowed=frozenset({302, 409})),
    # The owner's POST without a body is a form with errors: 400.
    "orders:address_edit": _address(allowed=frozenset({200, 302, 400})),
    "orders:address_delete": _address(post_only=True),
    "orders:address_default": _address(post_only=True),
    "lodging:reservation": _stay(),
    "lodging:pay": _stay(),
    "lodging:confirmation": _stay(),
    "lodging:cancel": _stay(allowed=frozenset({200, 302, 409})),
}

# Valid bodies, so that a stranger's POST would do something if it got through.
POST_DATA = {
    "orders:update_line": {"quantity": 3},
    "orders:switch_line": lambda s: {"offer": Offer.objects.filter(product=s.line.offer.product_id).exclude(
        pk=s.line.offer_id).values_list("pk", flat=True).first()},
    "delivery:delivered": {"recipient_name": "Intruder"},
    "delivery:failed": {"reason": "nobody_home"},
    "orders:review": {"stars": 5, "text": "Intruder"},
    "lodging:cancel": {"refund": 0},
    "payments:change_pin": {"old_pin": "1234", "new_pin": "4321", "new_pin_again": "4321"},
    "lodging:pay": {"card": "other", "card_number": "9408000000000002", "pin": "1234"},
    "orders:address_edit": lambda s: {"recipient_name": "Intruder", "phone": "0191 999 0000",
                                      "district": s.address.district_id, "line": "Intruder"},
}


def _urls_with_arguments(resolver: URLResolver, namespace: str = ""):
    for pattern in resolver.url_patterns:
        if isinstance(pattern, URLResolver):
            if pattern.namespace in SKIPPED_NAMESPACES:
                continue
            inner = ":".join(filter(None, [namespace, pattern.namespace]))
            yield from _urls_with_arguments(pattern, inner)
        elif isinstance(pattern, URLPattern) and pattern.pattern.regex.groups:
            assert pattern.name, f"a URL with an argument needs a name: {pattern.pattern}"
            yield ":".join(filter(None, [namespace, pattern.name]))


def test_every_url_with_an_argument_is_in_the_matrix():
    found = set(_urls_with_arguments(get_resolver()))
    assert found - PUBLIC - DISPATCHER_ONLY == set(MATRIX), "list a new private URL in MATRIX (or in PUBLIC)"
    assert PUBLIC | DISPATCHER_ONLY <= found, "PUBLIC or DISPATCHER_ONLY names a URL that no longer exists"


@dataclass
class Scenario:
    """Two customers with an order, a card and a cart line each; each order's
    delivery is assigned to its own courier; a staff member with no
    permission."""

    people: dict = field(default_factory=dict)
    order: Order = None
    card: Card = None
    line: CartLine = None
    delivery: Delivery = None
    notice: Notice = None
    reservation: Reservation = None
    address: Address = None


def _book_stay(world, person, card, *, marker: str) -> Reservation:
    lodging = Lodging.objects.filter(slug="matrix-hotel").first() or Lodging.objects.create(
        seller=factories.seller(), slug="matrix-hotel", name_ko="호텔", district=world.district, address="-",
        check_in_from=time(14), check_out_until=time(12),
    )
    room = lodging.room_types.first() or RoomType.objects.create(lodging=lodging, name_ko="방", base_rate=10_000,
                                                                 room_count=5)
    arrival = timezone.localdate() + timedelta(days=7)
    held = lodging_services.hold_stay(
        user=person, room_type=room, arrival=arrival, departure=arrival + timedelta(days=1), guests=1,
        guest_names=marker, arrival_time=None, requests="", token=uuid.uuid4(),
    )
    return lodging_services.pay_reservation(reservation=held, card_number=card.number, pin=factories.PIN)


def _buy(world, person, courier, *, marker: str):
    card = factories.card(owner=person, balance=100_000)
    address = factories.address(owner=person, district_=world.district, line=marker)
    offer = world.soap.offers.order_by("price").first()
    order = factories.paid_order(customer=person, card_=card, address_=address, offer=offer, slot_=world.slot)
    delivery = Delivery.objects.get(order=order).assign(courier, by=None)
    line = order_services.add_to_cart(cart=Cart.objects.get(user=person), offer=offer, quantity=2)
    return order, card, line, delivery


@pytest.fixture
def scenario(world):
    s = Scenario()
    other_courier = factories.courier(service_=world.service)
    other_customer = factories.user()
    s.order, s.card, s.line, s.delivery = _buy(world, world.customer, world.courier, marker="MARKER-7731 1동")
    _order, other_card, _line, _delivery = _buy(world, other_customer, other_courier, marker="OTHER-5512 2동")
    s.notice = Notice.objects.get(recipient=world.customer)
    s.address = Address.objects.get(user=world.customer, line="MARKER-7731 1동")
    s.reservation = _book_stay(world, world.customer, s.card, marker="GUEST-8841 김영호")
    _book_stay(world, other_customer, other_card, marker="GUEST-OTHER 리철")
    s.people = {
        "buyer": world.customer,
        "other_customer": other_customer,
        "courier": world.courier.user,
        "other_courier": other_courier.user,
        "staff": factories.user(is_staff=True),
    }
    return s


def _client_for(scenario: Scenario, persona: str, entry: Entry) -> Client:
    client = Client()
    if persona == "owner":
        client.force_login(scenario.people[entry.owner])
    elif persona != "anonymous":
        # The owner persona of the other kind: the buyer is a stranger on a courier's URL, and so on.
        person = scenario.people["buyer" if persona == "courier" and entry.owner == "courier" else persona]
        client.force_login(person)
    return client


CASES = [(name, persona, method) for name in sorted(MATRIX) for persona in PERSONAS for method in ("get", "post")]


@pytest.mark.django_db
@pytest.mark.parametrize(("name", "persona", "method"), CASES)
def test_access(name, persona, method, scenario):
    entry = MATRIX[name]
    url = reverse(name, args=entry.args(scenario))
    client = _client_for(scenario, persona, entry)
    before = entry.state(scenario)
    data = POST_DATA.get(name, {})
    response = getattr(client, method)(url, data(scenario) if callable(data) else data, HTTP_ACCEPT_LANGUAGE="en")
    body = response.content.decode()

    assert response.status_code < 500
    if method == "get" and entry.post_only:
        assert response.status_code == 405
        assert entry.state(scenario) == before
        return
    if persona == "owner":
        assert response.status_code in entry.allowed
        if response.status_code == 200:
            assert entry.secret(scenario) in body, "the owner sees their own data"
        return
    assert entry.secret(scenario) not in body, "a stranger must never see the owner's data"
    assert entry.state(scenario) == before, "a stranger changed the owner's object"
    if persona == "anonymous" and entry.anonymous == "login":
        assert response.status_code == 302 and response["Location"].startswith(reverse("okryu:login"))
    else:
        assert response.status_code in entry.denied


@pytest.mark.django_db
@pytest.mark.parametrize("name", sorted(DISPATCHER_ONLY))
@pytest.mark.parametrize("persona", [persona for persona in PERSONAS if persona != "owner"])
def test_only_a_dispatcher_may_use_the_board_on_a_delivery(name, persona, scenario):
    client = Client()
    if persona != "anonymous":
        client.force_login(scenario.people[persona])
    before = _delivery_state(scenario)
    response = client.post(reverse(name, args=[scenario.delivery.pk]), {"reason": "nobody_home"})
    assert _delivery_state(scenario) == before
    if persona == "anonymous":
        assert response.status_code == 302 and response["Location"].startswith(reverse("okryu:login"))
    else:
        assert response.status_code == 403


# The account's own pages, without an argument: each answers for whoever is
# logged in, so anonymous visitors are sent to log in, GET and POST alike.
ACCOUNT_PAGES = ["okryu:profile", "okryu:erase_account", "orders:addresses", "orders:address_add",
                 "notices:settings", "okryu:password_change"]


@pytest.mark.django_db
@pytest.mark.parametrize("name", ACCOUNT_PAGES)
@pytest.mark.parametrize("method", ["get", "post"])
def test_account_pages_send_anonymous_visitors_to_log_in(name, method):
    response = getattr(Client(), method)(reverse(name))
    assert response.status_code == 302 and response["Location"].startswith(reverse("okryu:login"))


@pytest.mark.django_db
@pytest.mark.parametrize("name", ACCOUNT_PAGES)
def test_account_pages_show_only_the_own_account(name, scenario):
    client = Client()
    client.force_login(scenario.people["other_customer"])
    assert scenario.address.line not in client.get(reverse(name)).content.decode()


def _admin_model_urls():
    from django.contrib import admin

    for model in admin.site._registry:
        info = (model._meta.app_label, model._meta.model_name)
        yield f"admin:{info[0]}_{info[1]}_changelist", []
        yield f"admin:{info[0]}_{info[1]}_change", [1]


@pytest.mark.django_db
@pytest.mark.parametrize(("name", "args"), sorted(_admin_model_urls()))
def test_staff_without_a_permission_get_nothing_from_the_admin(name, args):
    client = Client()
    client.force_login(factories.user(is_staff=True))
    for method in ("get", "post"):
        response = getattr(client, method)(reverse(name, args=args))
        assert response.status_code == 403
        assert "result_list" not in response.content.decode()
