"""What goes wrong at the till, in a real browser: an item sells out while
it sits in the cart, and a wrong PIN is refused before the right one pays."""

from urllib.parse import urlsplit

from django.urls import reverse
from playwright.sync_api import expect

from catalog.models import Offer
from delivery.models import District
from orders.models import CartLine, Order
from tests import factories


def test_a_sold_out_item_is_reported_then_a_wrong_pin_then_the_right_one(visitor, viewport):
    customer = factories.user()
    factories.address(owner=customer, district_=District.objects.get(slug="jung"))
    card = factories.card(owner=customer, balance=50_000)
    soap = Offer.objects.filter(product__slug="insam-soap").select_related("product").order_by("price").first()
    scarce = factories.product(
        category_=soap.product.category, name_ko="한정판 인삼비누", name_en="Limited ginseng soap",
        offers=[(soap.seller, 2000, 3)],
    ).offers.get()
    v = visitor(language="ko")
    page = v.page
    v.log_in(customer.username)
    for offer in (soap, scarce):
        page.goto(offer.product.get_absolute_url())
        v.submit(f'input[name="offer"][value="{offer.pk}"]')
    checkout_link = page.locator(f'main a[href="{reverse("orders:checkout")}"]')
    expect(checkout_link).to_have_count(1)

    Offer.objects.filter(pk=scarce.pk).update(stock=0)
    page.reload()
    expect(checkout_link).to_have_count(0)  # the cart says why instead
    v.check("cart-sold-out")
    line = CartLine.objects.get(cart__user=customer, offer=scarce)
    v.follow(page.locator(f'form[action="{reverse("orders:update_line", args=[line.pk])}"] button[name="remove"]'))
    assert not CartLine.objects.filter(pk=line.pk).exists()

    v.follow(checkout_link)
    v.submit('input[name="address"]')
    pay_url = reverse("orders:checkout_pay")
    assert urlsplit(page.url).path == pay_url
    expect(page.locator(f'input[name="card"][value="{card.pk}"]')).to_be_checked()
    page.locator('input[name="pin"]').fill("9999")
    with page.expect_response(lambda r: urlsplit(r.url).path == pay_url and r.request.method == "POST") as refused:
        v.submit('input[name="pin"]')
    assert refused.value.status == 409
    expect(page.locator('input[name="pin"]')).to_have_attribute("aria-invalid", "true")
    assert not Order.objects.filter(user=customer).exists()
    card.refresh_from_db()
    assert card.failed_pin_attempts == 1
    v.check("checkout-wrong-pin")

    page.locator('input[name="pin"]').fill(factories.PIN)
    v.submit('input[name="pin"]')
    order = Order.objects.get(user=customer)
    assert urlsplit(page.url).path == order.get_absolute_url()
    assert order.status == Order.Status.PAID
    assert [line.offer_id for line in order.lines.all()] == [soap.pk]
    card.refresh_from_db()
    assert card.failed_pin_attempts == 0
