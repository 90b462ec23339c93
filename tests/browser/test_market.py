"""The marketplace's pages in a real browser, through the checks of every
customer page: a wish list with a sold-out product watched, a
prescription-only medicine waiting for the pharmacist in the cart, and a
closed kitchen's dish that says when it opens instead of offering a button."""

from datetime import timedelta

from django.urls import reverse
from django.utils import timezone
from playwright.sync_api import expect

from catalog.cache import bump_version
from catalog.models import OpeningHours, Product, Seller
from catalog.services import refresh_product_summaries
from okryu.money import format_won
from tests import factories


def test_a_customer_wishes_for_two_products_and_watches_the_sold_out_one(visitor, viewport):
    soap = Product.objects.get(slug="insam-soap")
    soap.offers.update(stock=0)
    refresh_product_summaries(product_ids=[soap.pk])
    bump_version()
    customer = factories.user()
    v = visitor(language="ko")
    page = v.page
    v.log_in(customer.username)
    page.goto(reverse("catalog:product", args=["pyongyang-raengmyon"]))
    v.follow(page.locator('form.wish button[value="add"]'))
    expect(page.locator('form.wish button[value="remove"]')).to_be_visible()
    page.goto(reverse("catalog:product", args=["insam-soap"]))
    v.follow(page.locator('form.wish button[value="watch"]'))
    page.goto(reverse("catalog:wish_list"))
    lines = page.locator("main li.line")
    expect(lines).to_have_count(2)
    noodles = Product.objects.get(slug="pyongyang-raengmyon")
    expect(lines.filter(has_text="평양랭면")).to_contain_text(format_won(noodles.best_price))
    expect(lines.filter(has_text="인삼")).to_contain_text("매진")
    v.check("wish-list")
    v.follow(lines.filter(has_text="평양랭면").locator('button[value="remove"]'))
    expect(page.locator("main li.line")).to_have_count(1)


def test_a_prescription_medicine_waits_in_the_cart_for_the_pharmacist(visitor, viewport):
    customer = factories.user()
    v = visitor(language="en")
    page = v.page
    v.log_in(customer.username)
    page.goto(reverse("catalog:product", args=["kumdang-2"]))
    expect(page.locator("main")).to_contain_text("Prescription only")
    page.locator('input[name="prescription"]').first.fill("RX-2026-0815")
    v.submit('input[name="prescription"]')
    assert page.url.endswith(reverse("orders:cart"))
    expect(page.locator("main")).to_contain_text("Prescription RX-2026-0815")
    expect(page.locator("main")).to_contain_text("once a pharmacist approves it")
    v.check("cart-prescription")


def test_a_closed_kitchen_says_when_it_opens_and_offers_no_button(visitor, viewport):
    okryukwan = Seller.objects.get(slug="okryukwan")
    opens = timezone.localtime() + timedelta(hours=3)
    # Three hours from now for one hour, every day: closed now at any hour.
    factories.opening_hours(okryukwan, opens.time().replace(second=0, microsecond=0),
                            (opens + timedelta(hours=1)).time().replace(second=0, microsecond=0))
    assert OpeningHours.objects.filter(seller=okryukwan).count() == 7
    bump_version()
    v = visitor(language="ko")
    page = v.page
    page.goto(reverse("catalog:product", args=["pyongyang-raengmyon"]))
    closed = page.locator("main p.closed")
    expect(closed).to_have_count(1)
    expect(closed).to_contain_text(opens.strftime("%H:%M"))
    offers = page.locator("main li", has=page.locator("p.closed"))
    expect(offers.locator(f'form[action="{reverse("orders:add")}"]')).to_have_count(0)
    v.check("product-kitchen-closed")


def test_a_sellers_score_page_explains_its_figures(visitor, viewport):
    v = visitor(language="en")
    page = v.page
    page.goto(reverse("catalog:seller", args=["okryukwan"]))
    v.follow(page.locator("main a.score").first)
    assert page.url.endswith(reverse("catalog:seller_score", args=["okryukwan"]))
    expect(page.locator("main h1")).to_contain_text("Okryukwan")
    v.check("seller-score")
