"""Bureau staff in a real browser: in the Django admin they find a paid
order and its e-card, top the card up, move the order to ready, give its
delivery to a courier on the dispatcher board (and the courier sees it),
and refund part of it, which the card's statement then shows.

The admin is Django's own, so only our pages (the dispatcher board, the
courier page, the customer's card) go through the axe and weight checks."""

from datetime import timedelta
from urllib.parse import urlsplit

from django.urls import reverse
from django.utils import timezone, translation
from playwright.sync_api import expect

from catalog.models import Offer
from delivery.models import Delivery, District, TimeSlot
from okryu.money import format_won
from orders.models import Order
from payments import services as payment_services
from payments.gateway import get_gateway
from payments.models import LedgerTransaction, Payment
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


def won(amount: int) -> str:
    """The amount as the Korean pages write it, whatever language this
    process's thread has active."""
    with translation.override("ko"):
        return format_won(amount)


def run_order_action(v, order: Order, action: str) -> None:
    """Tick the order on the orders changelist and run an admin action on it."""
    page = v.page
    page.goto(reverse("admin:orders_order_changelist") + f"?q={order.number}")
    page.locator(f'input[name="_selected_action"][value="{order.pk}"]').check()
    page.locator('select[name="action"]').select_option(action)
    v.submit('select[name="action"]')


def test_staff_top_up_mark_ready_dispatch_and_refund_part_of_an_order(visitor, viewport, shop):
    staff = factories.user(is_staff=True, is_superuser=True)
    customer = factories.user()
    address = factories.address(owner=customer, district_=District.objects.get(slug="moranbong"))
    card = factories.card(owner=customer, balance=50_000)
    courier = factories.courier(service_=shop.express)
    courier.user.first_name = "리영호"  # named as the demo couriers are, for the board's screenshot
    courier.user.save(update_fields=["first_name"])
    slot = factories.slot(service_=shop.express, starts_in=timedelta(minutes=5))
    kimchi = Offer.objects.filter(product__slug="kimchi").order_by("price").first()
    order = factories.paid_order(customer=customer, offer=kimchi, slot_=slot, address_=address, card_=card, quantity=2)
    # The slot is under way, so the delivery is on the courier's page today whatever the hour.
    TimeSlot.objects.filter(pk=slot.pk).update(
        starts_at=timezone.now() - timedelta(minutes=10), ends_at=timezone.now() + timedelta(minutes=20)
    )
    delivery = order.deliveries.get()
    available = payment_services.card_balances(card)["available"]

    staff_view = visitor(language="ko")
    page = staff_view.page
    staff_view.log_in(staff.username, next_url=reverse("admin:index"))

    # Top up, from the card's change page.
    page.goto(reverse("admin:payments_card_change", args=[card.pk]))
    staff_view.follow(page.locator(f'a[href="{reverse("admin:payments_card_top_up", args=[card.pk])}"]'))
    page.locator('input[name="amount"]').fill("30000")
    page.locator('input[name="reason"]').fill("창구 현금 입금")
    staff_view.submit('input[name="amount"]')
    assert urlsplit(page.url).path == reverse("admin:payments_card_statement", args=[card.pk])
    assert payment_services.card_balances(card)["available"] == available + 30_000
    expect(page.locator("#content")).to_contain_text(won(30_000))

    # Preparing, then ready.
    run_order_action(staff_view, order, "mark_preparing")
    order.refresh_from_db()
    assert order.status == Order.Status.PREPARING
    run_order_action(staff_view, order, "mark_ready")
    order.refresh_from_db()
    assert order.status == Order.Status.READY

    # The dispatcher board: tick the delivery, choose the courier.
    page.goto(reverse("delivery:dispatch"))
    ticked = f'input[name="deliveries"][value="{delivery.pk}"]'
    expect(page.locator(ticked)).to_have_count(1)
    staff_view.check("dispatch")
    page.locator(ticked).check()
    page.locator('select[name="courier"]').first.select_option(str(courier.pk))
    staff_view.submit(ticked)
    assert urlsplit(page.url).path == reverse("delivery:dispatch")
    delivery.refresh_from_db()
    assert (delivery.status, delivery.courier_id) == (Delivery.Status.ASSIGNED, courier.pk)
    staff_view.check("dispatch-assigned")

    # The courier sees it and picks it up, which captures the payment.
    courier_view = visitor(language="ko")
    courier_view.log_in(courier.user.username, next_url=reverse("delivery:courier"))
    expect(courier_view.page.locator("main")).to_contain_text(order.number)
    courier_view.follow(courier_view.page.locator(
        f'form[action="{reverse("delivery:picked_up", args=[delivery.pk])}"]').get_by_role("button"))
    payment = Payment.objects.get(pk=order.payment_id)
    assert payment.status == Payment.Status.CAPTURED

    # Refund one of the two jars, from the order's change page.
    line = order.lines.get()
    part = line.unit_price
    page.goto(reverse("admin:orders_order_change", args=[order.pk]))
    staff_view.follow(page.locator(f'a[href="{reverse("admin:orders_order_refund", args=[order.pk])}"]'))
    page.locator(f'input[name="line-{line.pk}"]').fill("1")
    page.locator('input[name="reason"]').fill("김치 한 병 파손")
    staff_view.submit('input[name="reason"]')
    assert urlsplit(page.url).path == reverse("admin:orders_order_change", args=[order.pk])
    payment.refresh_from_db()
    order.refresh_from_db()
    assert payment.refunded == part
    assert order.status == Order.Status.OUT_FOR_DELIVERY
    refund = LedgerTransaction.objects.get(payment=payment, kind=LedgerTransaction.Kind.REFUND)
    assert refund.entries.filter(account__card=card, amount=part).exists()
    balance_after = available + 30_000 + part
    assert payment_services.card_balances(card)["available"] == balance_after

    page.goto(reverse("admin:payments_card_statement", args=[card.pk]))
    expect(page.locator("#content")).to_contain_text(won(balance_after))
    expect(page.locator("table.statement tbody tr").filter(has_text=won(part))).to_have_count(1)

    # And the customer's own card page says the same.
    customer_view = visitor(language="ko")
    customer_view.log_in(customer.username, next_url=card.get_absolute_url())
    expect(customer_view.page.locator("main")).to_contain_text(won(balance_after))
    expect(customer_view.page.locator("table.statement tbody tr").filter(has_text=won(part))).to_have_count(1)
    customer_view.check("card-refunded")


def test_the_sales_report_shows_its_bars_under_the_site_s_csp(visitor, viewport, shop):
    """The chart's colours come from a static stylesheet: the
    Content-Security-Policy blocks inline <style>, and a blocked style would
    leave the bars black (SVG's default fill)."""
    staff = factories.user(is_staff=True, is_superuser=True)
    customer = factories.user()
    address = factories.address(owner=customer, district_=District.objects.get(slug="moranbong"))
    card = factories.card(owner=customer, balance=50_000)
    kimchi = Offer.objects.filter(product__slug="kimchi").order_by("price").first()
    slot = factories.slot(service_=shop.express, starts_in=timedelta(hours=3))
    order = factories.paid_order(customer=customer, offer=kimchi, slot_=slot, address_=address, card_=card)
    get_gateway().capture(order.payment)

    v = visitor(language="ko")
    page = v.page
    blocked = []
    page.on("console", lambda message: blocked.append(message.text) if "Content Security Policy" in message.text
            else None)
    v.log_in(staff.username, next_url=reverse("admin:orders_order_sales"))

    bars = page.locator("svg.sales-chart rect")
    expect(bars).to_have_count(30)
    fills = bars.evaluate_all("rects => rects.map(r => getComputedStyle(r).fill)")
    assert set(fills) == {"rgb(65, 118, 144)"}, fills
    tallest = bars.evaluate_all("rects => Math.max(...rects.map(r => r.getBoundingClientRect().height))")
    assert tallest > 40, "today's bar is drawn (the chart scales down on a phone)"
    assert blocked == []

    page.goto(reverse("admin:payments_reconciliation"))
    expect(page.locator("#content")).to_be_visible()
    assert blocked == []
