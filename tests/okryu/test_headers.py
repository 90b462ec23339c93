"""The header offers each person their own tools."""

import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from okryu.notices.models import Event
from okryu.notices.services import notify
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


def test_the_header_reads_the_person_their_courier_and_unread_notices_in_one_query(client, world):
    for number in ("C1", "C2"):
        notify(recipient=world.courier.user, event=Event.ORDER_PAID, obj_key=f"order:{number}",
               context={"number": number, "total": 1000})
    client.force_login(world.courier.user)
    with CaptureQueriesContext(connection) as queries:
        page = client.get(reverse("catalog:home")).content.decode()
    header = page[page.index('<header class="top">'):page.index("</header>")]
    assert reverse("delivery:courier") in header and 'aria-label="읽지 않은 통보 2건">2</span>' in header
    user_reads = [query["sql"] for query in queries if '"okryu_user"' in query["sql"]]
    assert len(user_reads) == 1 and '"delivery_courier"' in user_reads[0]
    assert len([query for query in queries if '"delivery_courier"' in query["sql"]]) == 1


@pytest.mark.parametrize("user_id", ["-1", "99999999", "99999999999999999999"])
def test_a_session_naming_no_user_is_a_visitors(client, world, user_id):
    client.force_login(world.customer)
    session = client.session
    session["_auth_user_id"] = user_id
    session.save()
    assert header_links(client) == {"catalog:search", "orders:cart", "lodging:search", "okryu:login",
                                    "okryu:register"}
