"""A database that is down, slow or locked: time limits on every
connection, 503 with Retry-After instead of a 500, and error pages that
look like the store and tell nothing about the inside."""

import socket
from unittest import mock

import pytest
from django.contrib.sessions.backends.db import SessionStore
from django.db import OperationalError, connection
from django.test import Client
from django.urls import reverse

from tests.factories import PASSWORD

LEAKS = ("Traceback", "OperationalError", "psycopg", "connection refused", "hunter2", "orders_order")


def _closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.mark.django_db
@pytest.mark.parametrize(("name", "value"), [
    ("lock_timeout", "5s"), ("statement_timeout", "15s"), ("idle_in_transaction_session_timeout", "30s"),
])
def test_every_connection_has_time_limits(name, value):
    with connection.cursor() as cursor:
        cursor.execute(f"SHOW {name}")
        assert cursor.fetchone()[0] == value


@pytest.mark.django_db
def test_no_connection_compiles_queries_with_jit():
    with connection.cursor() as cursor:
        cursor.execute("SHOW jit")
        assert cursor.fetchone()[0] == "off"


@pytest.mark.django_db
def test_a_statement_over_the_limit_is_cancelled():
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL statement_timeout = '50ms'")
        with pytest.raises(OperationalError):
            cursor.execute("SELECT pg_sleep(1)")


@pytest.fixture
def database_down(transactional_db):
    """Point the connection at a port where nothing listens, as during a
    restart, and put it back afterwards."""
    saved = dict(connection.settings_dict)
    connection.close()
    connection.settings_dict.update(HOST="127.0.0.1", PORT=str(_closed_port()))
    yield
    connection.close()
    connection.settings_dict.clear()
    connection.settings_dict.update(saved)


@pytest.mark.parametrize("path", ["/", "/orders/", "/cards/", "/accounts/login/"])
def test_a_database_that_is_down_answers_503_with_retry_after(database_down, path, settings):
    client = Client(raise_request_exception=False)
    client.cookies["sessionid"] = "a" * 32
    response = client.get(path, HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 503
    assert response["Retry-After"] == str(settings.DATABASE_RETRY_AFTER)
    assert "no-store" in response["Cache-Control"]
    body = response.content.decode()
    assert "Back in a moment" in body
    assert not any(leak in body for leak in LEAKS)


def test_the_503_page_is_translated(database_down):
    response = Client(raise_request_exception=False).get("/", HTTP_ACCEPT_LANGUAGE="ko")
    assert response.status_code == 503
    assert '<html lang="ko">' in response.content.decode()


def test_a_database_error_outside_the_view_is_a_503_too(client, world):
    """Saving the session happens in a middleware, after the view."""
    client.raise_request_exception = False
    offer = world.soap.offers.first()
    with mock.patch.object(SessionStore, "save", side_effect=OperationalError("server closed the connection")):
        response = client.post(reverse("orders:add"), {"offer": offer.pk, "quantity": 1})
    assert response.status_code == 503
    assert "Retry-After" in response


def test_the_healthz_probe_says_unreachable(database_down):
    response = Client().get("/healthz")
    assert response.status_code == 503
    assert response.json() == {"database": "unreachable"}


@pytest.mark.django_db
def test_an_unexpected_error_is_a_plain_500_page(client, settings):
    settings.ROOT_URLCONF = "tests.okryu.urls_faulty"
    client.raise_request_exception = False
    response = client.get("/broken/", HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 500
    body = response.content.decode()
    assert "Something went wrong" in body and 'class="top"' in body
    assert not any(leak in body for leak in LEAKS + ("RuntimeError", "secret internals"))


def test_a_missing_page_looks_like_the_store_and_names_nothing(client, world):
    client.post(reverse("okryu:login"), {"username": "customer", "password": PASSWORD})
    response = client.get("/orders/SECRET-NUMBER-1/", HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 404
    body = response.content.decode()
    assert "Page not found" in body and 'class="top"' in body
    # The path shows up only as the language form's way back, never as a finding.
    assert "matches the given query" not in body and "Http404" not in body
