"""Security headers on every page, and no-store on every private page."""

import pytest
from django.urls import get_resolver, reverse

from tests import factories
from tests.factories import PASSWORD

pytestmark = pytest.mark.django_db


def _directives(response) -> dict[str, str]:
    policy = response["Content-Security-Policy"]
    return dict(part.strip().split(" ", 1) for part in policy.split(";") if part.strip())


def test_pages_carry_a_strict_content_security_policy(client, world):
    directives = _directives(client.get("/"))
    assert directives["default-src"] == "'self'"
    assert directives["object-src"] == "'none'"
    assert directives["base-uri"] == "'none'"
    assert directives["frame-ancestors"] == "'none'"
    assert directives["form-action"] == "'self'"
    assert "unsafe-inline" not in directives.get("script-src", "")
    assert "unsafe-inline" not in directives["default-src"]


def test_pages_forbid_sniffing_framing_and_leaking_the_referrer(client, world):
    response = client.get("/")
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["X-Frame-Options"] == "DENY"
    assert response["Referrer-Policy"] == "same-origin"


def test_session_and_csrf_cookies_are_http_only_and_same_site(client, world):
    response = client.post(reverse("okryu:login"), {"username": "customer", "password": PASSWORD})
    session = response.cookies["sessionid"]
    assert session["httponly"] and session["samesite"] == "Lax"
    page = client.get(reverse("okryu:password_change"))
    csrf = page.cookies["csrftoken"]
    assert csrf["httponly"] and csrf["samesite"] == "Lax"


PRIVATE_NAMESPACES = {"okryu", "orders", "payments", "delivery"}


def _private_pages_without_arguments():
    resolver = get_resolver()
    for namespace in PRIVATE_NAMESPACES:
        _prefix, sub = resolver.namespace_dict[namespace]
        for pattern in sub.url_patterns:
            if pattern.name and not pattern.pattern.regex.groups:
                yield f"{namespace}:{pattern.name}"


@pytest.mark.parametrize("name", sorted(_private_pages_without_arguments()))
def test_every_private_page_is_no_store(name, world, client):
    if name.startswith("delivery:dispatch"):
        client.force_login(factories.user(is_staff=True, is_superuser=True))
    elif name.startswith("delivery:"):
        client.force_login(world.courier.user)
    else:
        client.force_login(world.customer)
    response = client.get(reverse(name))
    assert response.status_code in {200, 302, 405}
    assert "no-store" in response["Cache-Control"]


def test_an_order_page_with_an_argument_is_no_store_and_a_404_too(customer_client):
    assert "no-store" in customer_client.get(reverse("orders:detail", args=["X-404"]))["Cache-Control"]
    assert "no-store" in customer_client.get(reverse("payments:card", args=[999999]))["Cache-Control"]


def test_catalog_pages_stay_cacheable(client, world):
    assert "no-store" not in client.get("/").get("Cache-Control", "")
