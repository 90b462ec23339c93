"""Logins: lockout by username, one message for every wrong login, and
sessions that cycle at login and die at logout and at password change."""

import pytest
from django.contrib.auth.hashers import Argon2PasswordHasher
from django.test import Client
from django.urls import reverse

from tests.factories import PASSWORD, user

pytestmark = pytest.mark.django_db

LOGIN = reverse("okryu:login")
ADMIN_LOGIN = reverse("admin:login")


def _try(client, url, username, password):
    return client.post(url, {"username": username, "password": password}, HTTP_ACCEPT_LANGUAGE="en")


def _error_text(response) -> str:
    body = response.content.decode()
    start = body.index('class="msg error"')
    return body[start:body.index("</div>", start)]


def test_an_unknown_user_and_a_wrong_password_read_the_same(client, world):
    unknown = _try(client, LOGIN, "nobody-here", "whatever-1")
    wrong = _try(client, LOGIN, "customer", "whatever-1")
    assert unknown.status_code == wrong.status_code == 200
    assert _error_text(unknown) == _error_text(wrong)
    assert "_auth_user_id" not in client.session


def test_an_inactive_account_reads_like_a_wrong_password(client, world):
    user("sleeper", is_active=False)
    inactive = _try(client, LOGIN, "sleeper", PASSWORD)
    wrong = _try(client, LOGIN, "customer", "whatever-1")
    assert _error_text(inactive) == _error_text(wrong)


def test_five_failures_lock_the_username_even_with_the_right_password(client, world, settings):
    for _ in range(settings.AXES_FAILURE_LIMIT):
        _try(client, LOGIN, "customer", "guess")
    locked = _try(Client(), LOGIN, "customer", PASSWORD)
    assert locked.status_code == 429
    assert "_auth_user_id" not in client.session
    # Another account is not affected.
    other = user("neighbour")
    assert _try(Client(), LOGIN, other.username, PASSWORD).status_code == 302


def test_an_unknown_username_locks_the_same_way(client, world, settings):
    for _ in range(settings.AXES_FAILURE_LIMIT):
        _try(client, LOGIN, "nobody-here", "guess")
    assert _try(client, LOGIN, "nobody-here", "guess").status_code == 429


def test_failures_below_the_limit_are_forgotten_after_a_login(client, world, settings):
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        _try(client, LOGIN, "customer", "guess")
    assert _try(client, LOGIN, "customer", PASSWORD).status_code == 302
    client.logout()
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        _try(client, LOGIN, "customer", "guess")
    assert _try(client, LOGIN, "customer", PASSWORD).status_code == 302


def test_the_admin_login_locks_out_too(client, world, settings):
    boss = user("boss", is_staff=True, is_superuser=True)
    for _ in range(settings.AXES_FAILURE_LIMIT):
        _try(client, ADMIN_LOGIN, "boss", "guess")
    locked = _try(Client(), ADMIN_LOGIN, boss.username, PASSWORD)
    assert locked.status_code == 429
    # The courier and the customer share the storefront login: a lockout
    # earned at the admin holds there as well.
    assert _try(Client(), LOGIN, boss.username, PASSWORD).status_code == 429


def test_the_courier_is_locked_out_through_the_storefront_login(client, world, settings):
    for _ in range(settings.AXES_FAILURE_LIMIT):
        _try(client, LOGIN, "courier", "guess")
    fresh = Client()
    assert _try(fresh, LOGIN, "courier", PASSWORD).status_code == 429
    assert fresh.get(reverse("delivery:courier")).status_code == 302


def test_the_session_key_changes_at_login(client, world):
    client.get(LOGIN)
    client.post(reverse("orders:add"), {"offer": world.soap.offers.first().pk, "quantity": 1})
    before = client.session.session_key
    assert before
    assert _try(client, LOGIN, "customer", PASSWORD).status_code == 302
    assert client.session.session_key != before


def test_logout_ends_the_session_on_the_server(client, world):
    _try(client, LOGIN, "customer", PASSWORD)
    stolen = client.cookies["sessionid"].value
    client.post(reverse("okryu:logout"))
    thief = Client()
    thief.cookies["sessionid"] = stolen
    assert thief.get(reverse("orders:list")).status_code == 302


def test_a_password_change_keeps_this_session_and_ends_the_others(world):
    here, elsewhere = Client(), Client()
    for client in (here, elsewhere):
        assert _try(client, LOGIN, "customer", PASSWORD).status_code == 302
    assert elsewhere.get(reverse("orders:list")).status_code == 200
    changed = here.post(reverse("okryu:password_change"), {
        "old_password": PASSWORD, "new_password1": "a-new-long-secret-7", "new_password2": "a-new-long-secret-7",
    })
    assert changed.status_code == 302 and changed["Location"] == reverse("okryu:password_changed")
    assert here.get(reverse("orders:list")).status_code == 200
    assert elsewhere.get(reverse("orders:list")).status_code == 302
    assert _try(Client(), LOGIN, "customer", "a-new-long-secret-7").status_code == 302


def test_a_wrong_old_password_changes_nothing(customer_client, world):
    response = customer_client.post(reverse("okryu:password_change"), {
        "old_password": "not-it", "new_password1": "a-new-long-secret-7", "new_password2": "a-new-long-secret-7",
    })
    assert response.status_code == 200
    world.customer.refresh_from_db()
    assert world.customer.check_password(PASSWORD)


def test_the_password_page_needs_a_login_and_is_linked_from_the_account_page(client, customer_client):
    assert Client().get(reverse("okryu:password_change")).status_code == 302
    assert reverse("okryu:profile") in customer_client.get("/").content.decode()
    assert reverse("okryu:password_change") in customer_client.get(reverse("okryu:profile")).content.decode()


def test_registration_logs_the_new_customer_in(client, db):
    response = client.post(reverse("okryu:register"), {
        "username": "newcomer", "first_name": "New", "phone": "0191 234 5678", "password1": "a-long-pass-99",
        "password2": "a-long-pass-99",
    })
    assert response.status_code == 302
    assert client.get(reverse("orders:list")).status_code == 200


def test_the_test_clients_login_still_works_without_a_request(client, world):
    assert client.login(username="customer", password=PASSWORD)
    assert not Client().login(username="customer", password="wrong")


def test_a_password_hashed_with_djangos_argon2_setting_logs_in_and_is_rehashed(client, world, settings):
    settings.PASSWORD_HASHERS = ["okryu.hashers.OwaspArgon2PasswordHasher"]
    old = user("old-timer")
    old.password = Argon2PasswordHasher().encode(PASSWORD, Argon2PasswordHasher().salt())
    old.save(update_fields=["password"])
    assert "$m=102400,t=2,p=8$" in old.password

    response = _try(client, LOGIN, "old-timer", PASSWORD)
    assert response.status_code == 302 and client.session["_auth_user_id"] == str(old.pk)
    old.refresh_from_db()
    assert old.password.startswith("argon2$argon2id$v=19$m=19456,t=2,p=1$")
    assert _try(Client(), LOGIN, "old-timer", PASSWORD).status_code == 302, "and the new hash verifies"
