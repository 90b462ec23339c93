"""The header offers each person their own tools."""

import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from tests import factories

pytestmark = pytest.mark.django_db

CUSTOMER_LINKS = {"orders:cart", "orders:list", "payments:cards", "lodging:search"}


def header_links(client) -> set[str]:
    """The header's links, by URL name."""
    page = client.get(reverse("catalog:home")).content.decode()
    header = page[page.index('<header class="top">'):page.index("</header>")]
    paths = set(re.findall(r'(?:href|action)="([^"?]+)', header))
    names = ["orders:cart", "orders:list", "payments:cards", "lodging:search", "notices:inbox", "okryu:profile",
             "okryu:login", "okryu:register", "okryu:logout", "delivery:courier", "delivery:dispatch",
             "admin:index", "catalog:search"]
    return {name for name in names if reverse(name) in paths}


def test_a_visitor_can_search_shop_log_in_and_register(client):
    assert header_links(client) == {"catalog:search", "orders:cart", "lodging:search", "okryu:login",
                                    "okryu:register"}


def test_a_customer_sees_the_shop_and_their_account(client, world):
    client.force_login(world.customer)
    assert header_links(client) == CUSTOMER_LINKS | {"catalog:search", "notices:inbox", "okryu:profile",
                                                     "okryu:logout"}


def test_a_courier_sees_their_deliveries_and_no_shop(client, world):
    client.force_login(world.courier.user)
    assert header_links(client) == {"delivery:courier", "notices:inbox", "okryu:profile", "okryu:logout"}


def test_other_staff_see_the_admin_only(client, db):
    client.force_login(factories.user("finance-clerk", is_staff=True))
    links = header_links(client)
    assert "admin:index" in links and not links & CUSTOMER_LINKS and "delivery:dispatch" not in links


def test_a_customers_header_loads_no_permissions(client, world):
    client.force_login(world.customer)
    client.get(reverse("catalog:home"))
    with CaptureQueriesContext(connection) as queries:
        client.get(reverse("catalog:home"))
    assert not [query for query in queries if "auth_permission" in query["sql"]]
