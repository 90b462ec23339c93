"""The address book: list, add, edit, delete, the default first at checkout."""

import pytest
from django.urls import reverse

from orders.models import Address, Order
from tests import factories
from tests.orders.helpers import fill_cart

pytestmark = pytest.mark.django_db


def new_address(world, **fields):
    return {"recipient_name": "리영희", "phone": "0192 555 6666", "district": world.district.pk, "line": "3동 4호",
            **fields}


def test_the_list_shows_the_customers_own_addresses_only(customer_client, world):
    factories.address(owner=factories.user(), district_=world.district, line="OTHER-991")
    page = customer_client.get(reverse("orders:addresses")).content.decode()
    assert world.address.line in page and "0191 111 2222" in page
    assert "OTHER-991" not in page


def test_the_list_needs_a_login(client):
    response = client.get(reverse("orders:addresses"))
    assert response.status_code == 302 and response["Location"].startswith(reverse("okryu:login"))


def test_adding_stores_the_phone_in_the_normal_form(customer_client, world):
    response = customer_client.post(reverse("orders:address_add"), new_address(world))
    assert response.status_code == 302
    added = Address.objects.get(line="3동 4호")
    assert added.user == world.customer and added.phone == "+8501925556666"


def test_the_first_address_becomes_the_default(client, world):
    newcomer = factories.user()
    client.force_login(newcomer)
    client.post(reverse("orders:address_add"), new_address(world))
    client.post(reverse("orders:address_add"), new_address(world, line="5동 6호"))
    assert list(Address.objects.filter(user=newcomer).values_list("line", "is_default")) == [
        ("3동 4호", True), ("5동 6호", False)]


def test_the_add_form_starts_from_the_accounts_name_and_phone(client, world):
    client.force_login(factories.user("ryongho", first_name="김룡호", phone="+8501917778888"))
    page = client.get(reverse("orders:address_add")).content.decode()
    assert 'value="김룡호"' in page and 'value="0191 777 8888"' in page


def test_a_bad_address_is_refused_and_nothing_is_saved(customer_client, world):
    response = customer_client.post(reverse("orders:address_add"), new_address(world, phone="010-5555-6666"),
                                    HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 400
    assert "Enter a phone number of this country" in response.content.decode()
    assert not Address.objects.filter(line="3동 4호").exists()


def test_editing_changes_the_address_but_not_a_past_order(customer_client, world):
    order = factories.paid_order(customer=world.customer, card_=world.card, address_=world.address,
                                 offer=world.soap.offers.first(), slot_=world.slot)
    edit = customer_client.get(reverse("orders:address_edit", args=[world.address.pk])).content.decode()
    assert 'value="0191 111 2222"' in edit, "the stored number is shown in the local format"
    response = customer_client.post(reverse("orders:address_edit", args=[world.address.pk]),
                                    new_address(world, line="새주소 9호"))
    assert response.status_code == 302
    assert Address.objects.get(pk=world.address.pk).line == "새주소 9호"
    order = Order.objects.get(pk=order.pk)
    assert (order.address_line, order.recipient_name, order.phone) == ("1동 2호", "김철민", "+8501911112222")


def test_deleting_removes_the_address_and_keeps_the_order(customer_client, world):
    order = factories.paid_order(customer=world.customer, card_=world.card, address_=world.address,
                                 offer=world.soap.offers.first(), slot_=world.slot)
    response = customer_client.post(reverse("orders:address_delete", args=[world.address.pk]))
    assert response.status_code == 302
    assert not Address.objects.filter(pk=world.address.pk).exists()
    assert Order.objects.get(pk=order.pk).address_line == "1동 2호"


def test_deleting_is_a_post(customer_client, world):
    assert customer_client.get(reverse("orders:address_delete", args=[world.address.pk])).status_code == 405
    assert Address.objects.filter(pk=world.address.pk).exists()


def test_choosing_a_default_leaves_one_default(customer_client, world):
    world.address.make_default()
    second = factories.address(owner=world.customer, district_=world.district, line="5동 6호")
    assert customer_client.post(reverse("orders:address_default", args=[second.pk])).status_code == 302
    assert list(Address.objects.filter(user=world.customer, is_default=True)) == [second]


def test_someone_elses_address_is_not_found(customer_client, world):
    theirs = factories.address(owner=factories.user(), district_=world.district, line="OTHER-991")
    for name in ("orders:address_edit", "orders:address_delete", "orders:address_default"):
        assert customer_client.post(reverse(name, args=[theirs.pk]), new_address(world)).status_code == 404
    theirs.refresh_from_db()
    assert theirs.line == "OTHER-991" and not theirs.is_default


def test_checkout_offers_the_default_first_and_prefills_a_new_one(client, world):
    person = factories.user("ryongho", first_name="김룡호", phone="+8501917778888")
    older = factories.address(owner=person, district_=world.district, line="OLD-1")
    factories.address(owner=person, district_=world.district, line="NEW-2")
    older.make_default()
    fill_cart(person, [(world.soap.offers.first(), 1)])
    client.force_login(person)
    page = client.get(reverse("orders:checkout")).content.decode()
    assert page.index("OLD-1") < page.index("NEW-2")
    assert f'value="{older.pk}" checked' in page
    assert 'value="김룡호"' in page and 'value="0191 777 8888"' in page
