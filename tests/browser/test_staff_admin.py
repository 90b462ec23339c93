"""Bureau staff in the Django admin, in a real browser: find a paid order,
open it and its e-card, and give its delivery to a courier with the
"assign automatically" action.

Still to write when their admin pages land (see the report of issue 9):
top up a card (payments admin), mark an order ready (orders admin), assign
on the dispatcher board (delivery), refund part of an order (payments or
orders admin). Each is a few more steps of the same shape at the end of
this test: open the page, fill the named fields, submit, assert on the rows."""

from datetime import timedelta

from django.urls import reverse
from playwright.sync_api import expect

from catalog.models import Offer
from delivery.models import Delivery, District
from tests import factories


def test_staff_find_an_order_and_assign_its_delivery_automatically(visitor, viewport, shop):
    staff = factories.user(is_staff=True, is_superuser=True)
    customer = factories.user()
    address = factories.address(owner=customer, district_=District.objects.get(slug="sosong"))
    card = factories.card(owner=customer, balance=50_000)
    slot = factories.slot(service_=shop.express, starts_in=timedelta(hours=3))
    shampoo = Offer.objects.filter(product__slug="shampoo").order_by("price").first()
    order = factories.paid_order(customer=customer, offer=shampoo, slot_=slot, address_=address, card_=card)
    delivery = order.deliveries.get()

    v = visitor(language="ko")
    page = v.page
    v.log_in(staff.username, next_url=reverse("admin:index"))
    page.goto(reverse("admin:orders_order_changelist"))
    page.locator('input[name="q"]').fill(order.number)
    v.submit('input[name="q"]')
    v.follow(page.locator(f'a[href^="{reverse("admin:orders_order_change", args=[order.pk])}"]'))
    expect(page.locator("#content")).to_contain_text(order.number)
    page.goto(reverse("admin:payments_card_change", args=[card.pk]))
    expect(page.locator("#content")).to_contain_text(card.number[-4:])

    page.goto(reverse("admin:delivery_delivery_changelist") + f"?q={order.number}")
    page.locator(f'input[name="_selected_action"][value="{delivery.pk}"]').check()
    page.locator('select[name="action"]').select_option("assign_automatically")
    v.submit('select[name="action"]')
    delivery.refresh_from_db()
    assert delivery.status == Delivery.Status.ASSIGNED
    assert delivery.courier is not None and delivery.courier.service_id == shop.express.pk
