"""The courier page in a basement: opened once, then offline, the courier
presses picked up and delivered, reloads (the page opens from the service
worker), comes back online, and the steps arrive once with the times they
were pressed; a step for a delivery reassigned meanwhile is refused and
the courier reads why; logging out clears what the page kept."""

from datetime import datetime, timedelta

from django.urls import reverse
from django.utils import timezone, translation
from playwright.sync_api import expect

from delivery import services as delivery_services
from delivery.models import Delivery, DeliveryEvent
from tests import factories
from tests.browser.test_courier import assigned_delivery

# The phone's clock is set this far back: the steps are pressed then, and
# must be recorded then, not when the server hears of them.
PRESSED_AGO = timedelta(minutes=45)
WAIT_MS = 15_000


def _assigned_delivery(shop, *, hot=False) -> Delivery:
    delivery = assigned_delivery(shop)
    now = timezone.now()
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

    # Logging out leaves nothing of the courier's on the phone.
    v.follow(page.get_by_role("button", name="Log out"))
    kept = page.evaluate("""async () => [
        (await caches.keys()).length, (await navigator.serviceWorker.getRegistrations()).length,
        (await indexedDB.databases()).length]""")
    assert kept == [0, 0, 0], "caches, service workers, databases"
