"""A new customer's whole journey, on a phone and on a PC, in Korean and in
English: search, filter, compare two sellers' offers of one product, add the
cheaper, register, check out, pay with an e-card number and PIN, follow the
order. Every customer page on the way goes through ``Visitor.check``."""

from urllib.parse import parse_qs, urlsplit

import pytest
from django.urls import reverse
from django.utils import translation
from playwright.sync_api import expect

from catalog.models import Offer
from delivery.models import District
from orders.models import Order
from payments.models import Payment
from payments.services import card_balances
from tests import factories

# The same dish searched for in each language.
QUERIES = {"ko": "랭면", "en": "naengmyeon"}


def path_of(page) -> str:
    return urlsplit(page.url).path


def product_links(page) -> set[str]:
    return set(page.locator("main a[href^='/p/']").evaluate_all("links => links.map(a => a.getAttribute('href'))"))


@pytest.mark.parametrize("language", ["ko", "en"])
def test_a_new_customer_compares_buys_pays_and_follows_the_order(visitor, viewport, language):
    card = factories.card(balance=100_000)  # a card bought at the bureau, used by number
    offers = list(Offer.objects.filter(product__slug="pyongyang-raengmyon").select_related("product").order_by("price"))
    cheaper, dearer = offers
    username = f"buyer-{language}-{viewport}"
    v = visitor(language="ko")
    page = v.page

    page.goto("/")
    if language != "ko":
        v.switch_language(language)
    v.check("home")

    search = page.get_by_role("searchbox")
    search.fill(QUERIES[language])
    with page.expect_navigation():
        search.press("Enter")
    assert path_of(page) == reverse("catalog:search")
    assert cheaper.product.get_absolute_url() in product_links(page)
    assert reverse("catalog:product", args=["raengmyon-dry"]) in product_links(page), "shops' dried noodles too"
    v.check("search")

    kind = page.locator('select[name="kind"]')
    if not kind.is_visible():  # the filters may sit in a closed <details> on a phone
        page.locator("details", has=kind).locator("summary").click()
    kind.select_option("restaurant")
    v.submit('select[name="kind"]')
    assert parse_qs(urlsplit(page.url).query)["kind"] == ["restaurant"]
    found = product_links(page)
    assert cheaper.product.get_absolute_url() in found
    assert reverse("catalog:product", args=["raengmyon-dry"]) not in found, "only restaurants are left"

    v.follow(page.locator(f'main a[href="{cheaper.product.get_absolute_url()}"]').first)
    offered = page.locator('form input[name="offer"]').evaluate_all("inputs => inputs.map(i => Number(i.value))")
    assert offered == [cheaper.pk, dearer.pk], "both sellers' offers, the cheaper first"
    v.check("product")

    v.submit(f'input[name="offer"][value="{cheaper.pk}"]')
    assert path_of(page) == reverse("orders:cart")
    expect(page.locator(f'main a[href="{cheaper.product.get_absolute_url()}"]')).to_have_count(1)
    expect(page.locator('main input[name="quantity"]')).to_have_value("1")
    v.check("cart")

    v.follow(page.locator(f'main a[href="{reverse("orders:checkout")}"]'))
    assert path_of(page) == reverse("okryu:login")
    v.check("login")
    v.follow(page.locator(f'main a[href^="{reverse("okryu:register")}"]'))
    v.check("register")
    page.locator('input[name="username"]').fill(username)
    page.locator('input[name="first_name"]').fill("김영남")
    page.locator('input[name="phone"]').fill("0192 555 6666")
    page.locator('input[name="password1"]').fill("Taedong-river-2026")
    page.locator('input[name="password2"]').fill("Taedong-river-2026")
    v.submit('input[name="password2"]')
    assert path_of(page) == reverse("orders:checkout"), "registering leads back to the checkout"
    v.check("checkout-address")

    district = District.objects.get(slug="jung")
    page.locator('input[name="recipient_name"]').fill("김영남")
    page.locator('input[name="phone"]').fill("0192 555 6666")
    page.locator('select[name="district"]').select_option(str(district.pk))
    page.locator('input[name="line"]').fill("옥류동 3반 12호")
    v.submit('input[name="line"]')
    assert path_of(page) == reverse("orders:checkout_pay")
    expect(page.locator('input[name="slot"]:checked')).to_have_count(1)
    v.check("checkout-pay")

    page.locator('input[name="card"][value="other"]').check()
    page.locator('input[name="card_number"]').fill(card.number)
    page.locator('input[name="pin"]').fill(factories.PIN)
    v.submit('input[name="pin"]')
    order = Order.objects.get(user__username=username)
    assert path_of(page) == order.get_absolute_url()
    assert order.status == Order.Status.PAID
    assert [(line.offer_id, line.quantity) for line in order.lines.all()] == [(cheaper.pk, 1)]
    assert order.total == cheaper.price + order.delivery_fee
    assert Payment.objects.get(pk=order.payment_id).status == Payment.Status.AUTHORIZED
    assert card_balances(card)["available"] == 100_000 - order.total
    with translation.override(language):
        paid = str(Order.Status.PAID.label)
    expect(page.get_by_role("heading", level=1)).to_contain_text(order.number)
    expect(page.get_by_role("heading", level=1)).to_contain_text(paid)
    v.check("order")

    v.follow(page.locator(f'header a[href="{reverse("orders:list")}"]'))
    v.check("orders")
    v.follow(page.locator(f'main a[href="{order.get_absolute_url()}"]'))
    v.follow(page.locator(f'main a[href="{reverse("orders:receipt", args=[order.number])}"]'))
    expect(page.locator("main")).to_contain_text(order.number)
    v.check("receipt")
