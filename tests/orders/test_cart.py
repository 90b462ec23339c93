"""The cart page and its forms: anonymous and logged-in carts, the merge at
login, what the cart says about each line, and every kind of bad input."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from catalog.models import Offer
from orders.cart import SESSION_CART_COUNT
from orders.models import Cart, CartLine
from tests import factories
from tests.orders.helpers import fill_cart, many_offers

pytestmark = pytest.mark.django_db


@pytest.fixture
def store_soap(world):
    return Offer.objects.get(seller=world.store)


@pytest.fixture
def factory_soap(world):
    return Offer.objects.get(seller=world.factory)


def test_an_anonymous_cart_is_kept_in_the_session(client, store_soap):
    response = client.post(reverse("orders:add"), {"offer": store_soap.pk, "quantity": 2})
    assert response.status_code == 302
    cart = Cart.objects.get(user=None)
    assert client.session["cart_id"] == cart.pk
    assert client.session[SESSION_CART_COUNT] == 2
    assert [line.offer for line in client.get(reverse("orders:cart")).context["lines"]] == [store_soap]


def test_it_merges_the_anonymous_cart_at_login_through_the_login_form(client, world, store_soap, factory_soap):
    fill_cart(world.customer, [(store_soap, 1)])
    client.post(reverse("orders:add"), {"offer": store_soap.pk, "quantity": 2})
    client.post(reverse("orders:add"), {"offer": factory_soap.pk, "quantity": 1})

    logged_in = client.post(reverse("okryu:login"), {"username": "customer", "password": factories.PASSWORD})
    assert logged_in.status_code == 302
    page = client.get(reverse("orders:cart"))

    assert {line.offer_id: line.quantity for line in page.context["lines"]} == {store_soap.pk: 3, factory_soap.pk: 1}
    assert Cart.objects.count() == 1, "the anonymous cart is gone"
    assert Cart.objects.get().user == world.customer
    assert client.session[SESSION_CART_COUNT] == 4


def test_it_groups_lines_by_seller(customer_client, world, store_soap, factory_soap):
    other = factories.product(category_=world.category, offers=[(world.store, 700, 5)]).offers.get()
    fill_cart(world.customer, [(store_soap, 1), (factory_soap, 1), (other, 1)])
    page = customer_client.get(reverse("orders:cart")).content.decode()
    assert page.count('<section class="panel">') == 2
    store_at, factory_at = page.index("<h2>광복상점"), page.index("<h2>봄향기공장")
    assert store_at < factory_at, "sellers in name order"
    assert store_at < page.index(other.product.name_ko) < factory_at, "the store's second item sits under the store"


def test_it_says_when_the_price_changed(customer_client, world, store_soap):
    fill_cart(world.customer, [(store_soap, 1)])
    Offer.objects.filter(pk=store_soap.pk).update(price=1700)
    response = customer_client.get(reverse("orders:cart"), HTTP_ACCEPT_LANGUAGE="en")
    [line] = response.context["lines"]
    assert line.price_changed and line.line_total == 1700
    assert "was ₩1,500" in response.content.decode()
    assert response.context["can_checkout"], "a new price alone does not stop checkout"


def test_it_says_when_stock_is_short(customer_client, world, factory_soap):
    fill_cart(world.customer, [(factory_soap, 4)])
    Offer.objects.filter(pk=factory_soap.pk).update(stock=2)
    response = customer_client.get(reverse("orders:cart"), HTTP_ACCEPT_LANGUAGE="en")
    [line] = response.context["lines"]
    assert line.short and not line.withdrawn
    assert "Only 2 left" in response.content.decode()
    assert not response.context["can_checkout"]
    assert reverse("orders:checkout") not in response.content.decode()


def test_it_says_when_an_offer_was_withdrawn(customer_client, world, store_soap):
    fill_cart(world.customer, [(store_soap, 1)])
    Offer.objects.filter(pk=store_soap.pk).update(is_active=False)
    response = customer_client.get(reverse("orders:cart"), HTTP_ACCEPT_LANGUAGE="en")
    [line] = response.context["lines"]
    assert line.withdrawn
    assert "withdrawn" in response.content.decode()
    assert not response.context["can_checkout"]
    assert response.context["subtotal"] == 0


def test_it_offers_the_cheaper_seller(customer_client, world, store_soap, factory_soap):
    fill_cart(world.customer, [(store_soap, 2)])
    response = customer_client.get(reverse("orders:cart"))
    [line] = response.context["lines"]
    assert line.cheaper == factory_soap
    page = response.content.decode()
    assert f'name="offer" value="{factory_soap.pk}"' in page

    fill_cart(world.customer, [(factory_soap, 1)])
    lines = customer_client.get(reverse("orders:cart")).context["lines"]
    assert [line.cheaper for line in lines if line.offer == factory_soap] == [None], "the cheapest has no cheaper"


def test_buying_from_the_cheaper_seller_instead_moves_the_line(customer_client, world, store_soap, factory_soap):
    cart = fill_cart(world.customer, [(store_soap, 2)])
    line = cart.lines.get()
    response = customer_client.post(reverse("orders:switch_line", args=[line.pk]), {"offer": factory_soap.pk},
                                    HTTP_ACCEPT_LANGUAGE="en", follow=True)
    assert [(m.level_tag, str(m)) for m in response.context["messages"]] == [
        ("success", f"Ginseng soap is now bought from {world.factory.name_en}.")]
    assert list(cart.lines.values_list("pk", "offer", "quantity", "price_when_added")) == [
        (line.pk, factory_soap.pk, 2, factory_soap.price)]


def test_buying_from_them_instead_joins_their_line_already_in_the_cart(customer_client, world, store_soap,
                                                                        factory_soap):
    cart = fill_cart(world.customer, [(store_soap, 2), (factory_soap, 1)])
    store_line = cart.lines.get(offer=store_soap)
    customer_client.post(reverse("orders:switch_line", args=[store_line.pk]), {"offer": factory_soap.pk})
    assert list(cart.lines.values_list("offer", "quantity")) == [(factory_soap.pk, 3)]


@pytest.mark.parametrize("offer", ["", "abc", "0", "another product", "withdrawn"])
def test_a_bad_switch_changes_nothing_and_says_why(customer_client, world, store_soap, factory_soap, offer):
    cart = fill_cart(world.customer, [(store_soap, 2)])
    line = cart.lines.get()
    if offer == "another product":
        offer = factories.product(offers=[(world.factory, 500, 5)]).offers.get().pk
    elif offer == "withdrawn":
        Offer.objects.filter(pk=factory_soap.pk).update(is_active=False)
        offer = factory_soap.pk
    response = customer_client.post(reverse("orders:switch_line", args=[line.pk]), {"offer": offer},
                                    HTTP_ACCEPT_LANGUAGE="en", follow=True)
    assert [str(m) for m in response.context["messages"]] == ["Ginseng soap cannot be bought from that seller now."]
    assert list(cart.lines.values_list("offer", "quantity")) == [(store_soap.pk, 2)]


def test_someone_elses_line_cannot_be_switched(client, world, store_soap, factory_soap):
    line = fill_cart(world.customer, [(store_soap, 2)]).lines.get()
    client.force_login(factories.user())
    assert client.post(reverse("orders:switch_line", args=[line.pk]), {"offer": factory_soap.pk}).status_code == 404
    assert CartLine.objects.get(pk=line.pk).offer_id == store_soap.pk


def test_it_changes_and_removes_a_line(customer_client, world, store_soap, factory_soap):
    cart = fill_cart(world.customer, [(store_soap, 1), (factory_soap, 1)])
    store_line, factory_line = cart.lines.order_by("pk")
    customer_client.post(reverse("orders:update_line", args=[store_line.pk]), {"quantity": 5})
    assert CartLine.objects.get(pk=store_line.pk).quantity == 5
    customer_client.post(reverse("orders:update_line", args=[store_line.pk]), {"quantity": 0})
    customer_client.post(reverse("orders:update_line", args=[factory_line.pk]), {"quantity": "", "remove": "1"})
    assert not CartLine.objects.exists()
    assert customer_client.session[SESSION_CART_COUNT] == 0


@pytest.mark.parametrize("quantity", ["0", "-3", "100", "1000000000000", "abc", "1.5", ""])
def test_it_refuses_bad_quantities_when_adding(customer_client, store_soap, quantity):
    response = customer_client.post(reverse("orders:add"), {"offer": store_soap.pk, "quantity": quantity}, follow=True)
    assert response.status_code == 200
    assert [m.level_tag for m in response.context["messages"]] == ["error"]
    assert not CartLine.objects.exists()
    assert Offer.objects.get(pk=store_soap.pk).stock == 10


@pytest.mark.parametrize("quantity", ["-1", "100", "99999999999999999999", "x"])
def test_it_refuses_bad_quantities_when_changing(customer_client, world, store_soap, quantity):
    line = fill_cart(world.customer, [(store_soap, 2)]).lines.get()
    response = customer_client.post(reverse("orders:update_line", args=[line.pk]), {"quantity": quantity}, follow=True)
    assert response.status_code == 200
    assert [m.level_tag for m in response.context["messages"]] == ["error"]
    assert CartLine.objects.get(pk=line.pk).quantity == 2


def test_it_caps_repeated_adds(customer_client, world, store_soap):
    fill_cart(world.customer, [(store_soap, 98)])
    response = customer_client.post(reverse("orders:add"), {"offer": store_soap.pk, "quantity": 2}, follow=True)
    assert [m.level_tag for m in response.context["messages"]] == ["error"]
    assert CartLine.objects.get().quantity == 98


@pytest.mark.parametrize("offer", ["999999", "abc", "-1", ""])
def test_it_refuses_an_offer_that_does_not_exist(customer_client, offer):
    response = customer_client.post(reverse("orders:add"), {"offer": offer, "quantity": 1}, follow=True)
    assert response.status_code == 200
    assert [m.level_tag for m in response.context["messages"]] == ["error"]
    assert not CartLine.objects.exists()


@pytest.mark.parametrize("change", [{"is_active": False}, {"stock": 0}])
def test_it_refuses_an_offer_that_is_not_for_sale(customer_client, store_soap, change):
    Offer.objects.filter(pk=store_soap.pk).update(**change)
    response = customer_client.post(reverse("orders:add"), {"offer": store_soap.pk, "quantity": 1}, follow=True)
    assert [m.level_tag for m in response.context["messages"]] == ["error"]
    assert not CartLine.objects.exists()


def test_someone_elses_cart_line_answers_404(customer_client, store_soap):
    stranger = factories.user()
    line = fill_cart(stranger, [(store_soap, 3)]).lines.get()
    response = customer_client.post(reverse("orders:update_line", args=[line.pk]), {"quantity": 1})
    assert response.status_code == 404
    removed = customer_client.post(reverse("orders:update_line", args=[line.pk]), {"remove": "1"})
    assert removed.status_code == 404
    assert CartLine.objects.get(pk=line.pk).quantity == 3


def test_the_cart_page_runs_the_same_queries_for_2_and_20_lines(client, world, django_assert_num_queries):
    offers = many_offers(world, 20)
    small, large = factories.user(), factories.user()
    fill_cart(small, [(offer, 1) for offer in offers[:2]])
    fill_cart(large, [(offer, 1) for offer in offers])

    def count(user):
        client.force_login(user)
        client.get(reverse("orders:cart"))  # session warmed up
        with CaptureQueriesContext(connection) as queries:
            response = client.get(reverse("orders:cart"))
        assert len(response.context["lines"]) in (2, 20)
        return len(queries)

    assert count(small) == count(large)
    with django_assert_num_queries(count(large)):
        client.get(reverse("orders:cart"))
