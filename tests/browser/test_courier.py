"""The courier's phone page: a delivery assigned to them is picked up and
delivered, and the customer's order page says so."""

from datetime import timedelta
from urllib.parse import urlsplit

import pytest
from django.urls import reverse
from django.utils import timezone, translation
from playwright.sync_api import expect

from catalog.models import Offer
from delivery.models import Delivery, District, TimeSlot
from orders.models import Order
from payments.models import Payment
from tests import factories


def assigned_delivery(shop) -> Delivery:
    """A paid order of kimchi whose delivery a new courier has in hand, in a
    slot under way, so that it is today's work whatever the hour."""
    customer = factories.user()
    address = factories.address(owner=customer, district_=District.objects.get(slug="moranbong"))
    card = factories.card(owner=customer, balance=50_000)
    courier = factories.courier(service_=shop.express)
    slot = factories.slot(service_=shop.express, starts_in=timedelta(minutes=5))
    kimchi = Offer.objects.filter(product__slug="kimchi").order_by("price").first()
    order = factories.paid_order(customer=customer, offer=kimchi, slot_=slot, address_=address, card_=card)
    TimeSlot.objects.filter(pk=slot.pk).update(
        starts_at=timezone.now() - timedelta(minutes=10), ends_at=timezone.now() + timedelta(minutes=20)
    )
    return order.deliveries.get().assign(courier, by=factories.user(is_staff=True))


@pytest.mark.parametrize("javascript", [True, False], ids=["script", "no-script"])
def test_a_courier_picks_up_and_delivers_and_the_customer_sees_it(visitor, viewport, shop, javascript):
    delivery = assigned_delivery(shop)
    order, courier, customer = delivery.order, delivery.courier, delivery.order.user

    # With the script, each step goes through the outbox and the page reloads;
    # without it, each is a plain form post, as before the outbox.
    v = visitor(language="ko", javascript=javascript)
    page = v.page
    v.log_in(courier.user.username, next_url=reverse("delivery:courier"))
    expect(page.locator("main")).to_contain_text(order.number)
    if javascript:
        # The page checks run scripts of their own (axe-core), which a page without JavaScript cannot.
        v.check("courier")
    v.follow(page.locator(f'form[action="{reverse("delivery:picked_up", args=[delivery.pk])}"]').get_by_role("button"))
    delivery.refresh_from_db()
    order.refresh_from_db()
    assert delivery.status == Delivery.Status.PICKED_UP
    assert order.status == Order.Status.OUT_FOR_DELIVERY
    assert Payment.objects.get(pk=order.payment_id).status == Payment.Status.CAPTURED

    page.locator('input[name="recipient_name"]').fill("김철민")
    v.submit('input[name="recipient_name"]')
    assert urlsplit(page.url).path == reverse("delivery:courier")
    delivery.refresh_from_db()
    assert (delivery.status, delivery.recipient_name) == (Delivery.Status.DELIVERED, "김철민")
    expect(page.locator(f'form[action^="/courier/{delivery.pk}/"]')).to_have_count(0)

    customer_view = visitor(language="ko")
    customer_view.log_in(customer.username, next_url=order.get_absolute_url())
    with translation.override("ko"):
        delivered = str(Order.Status.DELIVERED.label)
    expect(customer_view.page.get_by_role("heading", level=1)).to_contain_text(delivered)
    customer_view.check("order-delivered")
