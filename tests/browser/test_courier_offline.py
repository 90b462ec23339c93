"""The courier page in a basement: opened once, then offline, the courier
presses picked up and delivered, reloads (the page opens from the service
worker), comes back online, and the steps arrive once with the times they
were pressed; a step for a delivery reassigned meanwhile is refused and
the courier reads why."""

from datetime import datetime, timedelta

from django.urls import reverse
from django.utils import timezone, translation
from playwright.sync_api import expect

from catalog.models import Offer
from delivery import services as delivery_services
from delivery.models import Delivery, DeliveryEvent, District, TimeSlot
from tests import factories

# The phone's clock is set this far back: the steps are pressed then, and
# must be recorded then, not when the server hears of them.
PRESSED_AGO = timedelta(minutes=45)
WAIT_MS = 15_000


def _assigned_delivery(shop, *, hot=False) -> Delivery:
    customer = factories.user()
    address = factories.address(owner=customer, district_=District.objects.get(slug="moranbong"))
    card = factories.card(owner=customer, balance=50_000)
    courier = factories.courier(service_=shop.express)
    slot = factories.slot(service_=shop.express, starts_in=timedelta(minutes=5))
    kimchi = Offer.objects.filter(product__slug="kimchi").order_by("price").first()
    order = factories.paid_order(customer=customer, offer=kimchi, slot_=slot, address_=address, card_=card)
    now = timezone.now()
    TimeSlot.objects.filter(pk=slot.pk).update(starts_at=now - timedelta(hours=2), ends_at=now + timedelta(minutes=20))
    delivery = order.deliveries.get()
    delivery = delivery.assign(courier, by=factories.user(is_staff=True))
    # Assigned before the phone's clock, so the presses come after it.
    Delivery.objects.filter(pk=delivery.pk).update(
        assigned_at=now - 2 * PRESSED_AGO, is_hot_food=hot, promised_by=now + timedelta(minutes=20) if hot else None)
    delivery.refresh_from_db()
    return delivery


def _courier_page_offline_ready(v, delivery: Delivery, *, clock: datetime) -> None:
    page = v.page
    page.clock.install(time=clock)
    v.log_in(delivery.courier.user.username, next_url=reverse("delivery:courier"))
    # The worker has kept the page and its assets, and controls the page.
    page.wait_for_function("() => navigator.serviceWorker.controller !== null", timeout=WAIT_MS)
    v.context.set_offline(True)


def _bar(page):
    return page.locator("#outbox")


def test_steps_pressed_offline_arrive_once_with_the_times_they_were_pressed(visitor, viewport, shop):
    delivery = _assigned_delivery(shop, hot=True)
    order = delivery.order
    clock = timezone.now() - PRESSED_AGO
    v = visitor(language="ko")
    page = v.page
    _courier_page_offline_ready(v, delivery, clock=clock)
    card = page.locator(f"#d{delivery.pk}")

    card.locator('form[data-leads-to="picked_up"] button').click()
    expect(_bar(page)).to_contain_text("1")
    card.locator('input[name="recipient_name"]').fill("김철민")
    card.locator('form[data-leads-to="delivered"] button').click()
    expect(_bar(page)).to_contain_text("2")

    page.reload()  # still offline: the worker opens the page as last seen
    expect(page.locator("main")).to_contain_text(order.number)
    expect(_bar(page)).to_be_visible()
    expect(_bar(page)).to_contain_text("2")
    expect(card.locator(".waiting")).to_have_count(2)
    # The hot food's minutes left count down from the kept promised time.
    left = card.locator("[data-promised]")
    before = left.inner_text()
    page.clock.run_for(5 * 60 * 1000)
    expect(left).not_to_have_text(before)
    v.check("courier-offline")
    assert Delivery.objects.get(pk=delivery.pk).status == Delivery.Status.ASSIGNED, "nothing sent while offline"

    with page.expect_navigation(timeout=WAIT_MS):  # the outbox drains, then reloads the page
        v.context.set_offline(False)
    expect(page.locator(f"#d{delivery.pk}")).to_have_count(0)
    expect(page.locator(".msg.success")).to_have_count(2)

    delivery.refresh_from_db()
    assert delivery.status == Delivery.Status.DELIVERED
    events = list(DeliveryEvent.objects.filter(delivery=delivery, pressed_at__isnull=False).order_by("pk"))
    assert [e.to_status for e in events] == [Delivery.Status.PICKED_UP, Delivery.Status.DELIVERED]
    for event in events:
        assert abs(event.pressed_at - clock) < timedelta(minutes=6), "the phone's time, not the replay's"
        assert event.created_at - event.pressed_at > PRESSED_AGO - timedelta(minutes=6)
    assert (delivery.picked_up_at, delivery.delivered_at) == (events[0].pressed_at, events[1].pressed_at)

    customer = visitor(language="ko")
    customer.log_in(order.user.username, next_url=order.get_absolute_url())
    expect(customer.page.locator("main")).to_contain_text(f"{timezone.localtime(delivery.delivered_at):%H:%M}")

    dispatcher = visitor(language="ko")
    dispatcher.log_in(factories.user(is_staff=True, is_superuser=True).username, next_url=reverse("delivery:dispatch"))
    row = dispatcher.page.locator("tr", has_text=order.number).first
    expect(row).to_contain_text(f"{timezone.localtime(events[-1].pressed_at):%H:%M:%S}")
    expect(row).to_contain_text(f"{timezone.localtime(events[-1].created_at):%H:%M:%S}")
    dispatcher.check("dispatch-pressed-times")


def test_a_step_for_a_delivery_reassigned_meanwhile_is_refused_and_the_courier_reads_why(visitor, viewport, shop):
    delivery = _assigned_delivery(shop)
    v = visitor(language="en")
    page = v.page
    _courier_page_offline_ready(v, delivery, clock=timezone.now() - PRESSED_AGO)

    page.locator(f'#d{delivery.pk} form[data-leads-to="picked_up"] button').click()
    expect(_bar(page)).to_contain_text("1")
    other = factories.courier(service_=delivery.slot.service)
    delivery_services.reassign_deliveries(delivery_ids=[delivery.pk], courier=other,
                                          by=factories.user(is_staff=True))

    with page.expect_navigation(timeout=WAIT_MS):
        v.context.set_offline(False)

    with translation.override("en"):
        expect(page.locator(".msg.error")).to_contain_text("no longer yours")
    delivery.refresh_from_db()
    assert (delivery.status, delivery.courier) == (Delivery.Status.ASSIGNED, other)
    assert not DeliveryEvent.objects.filter(delivery=delivery, to_status=Delivery.Status.PICKED_UP).exists()
