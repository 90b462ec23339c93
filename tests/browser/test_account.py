"""A customer keeps their account: the header leads to the account page,
the address book takes a new address and a new default, and the account
is deleted with its password, without JavaScript needed for any of it."""

from urllib.parse import urlsplit

from django.urls import reverse
from playwright.sync_api import expect

from delivery.models import District
from okryu.models import User
from orders.models import Address
from tests import factories


def test_a_customer_edits_the_account_keeps_addresses_and_deletes_the_account(visitor, viewport, shop):
    customer = factories.user(first_name="리영희", phone="+8501912345678")
    factories.address(owner=customer, district_=District.objects.get(slug="moranbong"), line="모란봉 1동 2호")
    v = visitor(language="ko")
    page = v.page
    v.log_in(customer.username)
    v.follow(page.locator(f'header a[href="{reverse("okryu:profile")}"]'))
    expect(page.locator('input[name="phone"]')).to_have_value("0191 234 5678")
    v.check("account")

    page.locator('input[name="phone"]').fill("02 381 2345")
    v.submit('input[name="first_name"]')
    assert User.objects.get(pk=customer.pk).phone == "+85023812345"

    v.follow(page.locator(f'a[href="{reverse("orders:addresses")}"]'))
    v.check("addresses")
    v.follow(page.locator(f'a[href="{reverse("orders:address_add")}"]'))
    expect(page.locator('input[name="recipient_name"]')).to_have_value("리영희")
    page.locator('select[name="district"]').select_option(label="모란봉구역")
    page.locator('input[name="line"]').fill("모란봉 3동 4호")
    v.check("address-add")
    v.submit('input[name="line"]')
    assert urlsplit(page.url).path == reverse("orders:addresses")
    # The customer had no default yet, so the new address is it.
    assert Address.objects.get(user=customer, is_default=True).line == "모란봉 3동 4호"
    first = Address.objects.get(user=customer, line="모란봉 1동 2호")
    v.follow(page.locator(f'form[action="{reverse("orders:address_default", args=[first.pk])}"] button'))
    assert Address.objects.get(user=customer, is_default=True) == first

    v.page.goto(reverse("okryu:erase_account"))
    v.check("account-delete")
    page.locator('input[name="password"]').fill(factories.PASSWORD)
    v.submit('input[name="password"]')
    assert urlsplit(page.url).path == reverse("catalog:home")
    expect(page.locator(f'header a[href="{reverse("okryu:register")}"]')).to_have_count(1)
    assert not Address.objects.filter(user=customer).exists()
    assert not User.objects.get(pk=customer.pk).is_active
