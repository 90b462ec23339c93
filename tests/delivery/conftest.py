"""Personas and builders for the delivery tests: orders with deliveries in
any status, a dispatcher, a second courier."""

import itertools
import uuid

import pytest
from django.apps import apps
from django.contrib.auth.management import create_permissions
from django.contrib.contenttypes.management import create_contenttypes
from django.contrib.contenttypes.models import ContentType
from django.utils import timezone

from delivery.models import Delivery
from delivery.roles import ensure_dispatcher_group
from orders.models import Order, OrderLine
from payments.gateway import get_gateway
from tests import factories

_numbers = itertools.count(1)


@pytest.fixture
def make_delivery(world):
    """Build an order of ``lines`` products from ``seller`` and its delivery,
    already in ``status`` (set directly: this is test data, not a step)."""

    def build(*, status=Delivery.Status.PENDING, courier=None, seller=None, slot=None, district=None,
              hot=False, lines=2, **fields):
        seller = seller or world.store
        slot = slot or world.slot
        district = district or world.district
        order = Order.objects.create(
            number=f"T-{next(_numbers):05d}", user=world.customer, checkout_token=uuid.uuid4(),
            subtotal=1000 * lines, delivery_fee=1000, total=1000 * lines + 1000,
            recipient_name="김철민", phone="+8501911112222", district=district, district_name=district.name,
            address_line="1동 2호", service_name=slot.service.name,
        )
        OrderLine.objects.bulk_create([
            OrderLine(order=order, seller=seller, product_name=f"상품 {n}", seller_name=seller.name_ko,
                      unit_price=1000, quantity=1)
            for n in range(lines)
        ])
        if status in (Delivery.Status.FAILED, Delivery.Status.RETURNED):
            fields.setdefault("failure_reason", Delivery.FailureReason.NOBODY_HOME)
            fields.setdefault("fault", Delivery.Fault.CUSTOMER)
            fields.setdefault("next_step", Delivery.NextStep.REDELIVER)
        # Paid, as checkout leaves an order, and captured once goods left the seller.
        gateway = get_gateway()
        order.payment = gateway.authorize(card_number=world.card.number, pin=factories.PIN, amount=order.total,
                                          reference=order.number, idempotency_key=f"order:{order.checkout_token}")
        order.status = Order.Status.PAID
        if status in (Delivery.Status.PICKED_UP, Delivery.Status.DELIVERED, Delivery.Status.FAILED,
                      Delivery.Status.RETURNED):
            gateway.capture(order.payment)
            order.status = Order.Status.OUT_FOR_DELIVERY
            fields.setdefault("picked_up_at", timezone.now())
        order.save(update_fields=["payment", "status"])
        if hot:
            fields.setdefault("promised_by", slot.ends_at)
        if status == Delivery.Status.DELIVERED:
            fields.setdefault("recipient_name", "김철민")
        return Delivery.objects.create(
            order=order, seller=seller, slot=slot, district=district, courier=courier, status=status,
            pickup_address=f"{seller.name_ko} · {seller.address}", dropoff_address=order.address_text,
            is_hot_food=hot, **fields,
        )

    return build


@pytest.fixture
def other_courier(world):
    return factories.courier(service_=world.service, username="other-courier")


@pytest.fixture
def dispatcher(db):
    person = factories.user("dispatcher", is_staff=True)
    # The data migration made this group; a flush by a transactional test
    # empties it, so the tests rebuild it the same way, permissions first
    # (a flush that skips post_migrate leaves none to give).
    # A flush also leaves ContentType's cache pointing at deleted rows.
    ContentType.objects.clear_cache()
    create_contenttypes(apps.get_app_config("delivery"), verbosity=0)
    create_permissions(apps.get_app_config("delivery"), verbosity=0)
    person.groups.add(ensure_dispatcher_group(apps))
    assert person.has_perm("delivery.dispatch"), list(person.groups.values_list("permissions__codename", flat=True))
    return person


@pytest.fixture
def courier_client(client, world):
    client.force_login(world.courier.user)
    return client


@pytest.fixture
def dispatcher_client(client, dispatcher):
    client.force_login(dispatcher)
    return client

