"""Forgot password: a six-digit code by text message, then a new password.
The pages never tell whether an account exists; codes are hashed, short
lived, tried five times at most, used once, and sent a few times an hour."""

import re
from datetime import timedelta

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from okryu.models import PasswordResetCode
from okryu.notices.models import Notice, SmsMessage
from okryu.views import RESET_LOGIN
from tests.factories import PASSWORD, user

pytestmark = pytest.mark.django_db

REQUEST = reverse("okryu:password_reset")
CODE = reverse("okryu:password_reset_code")
NEW = "noodles-in-the-snow-7"


@pytest.fixture
def person(db):
    return user("sunhui", phone="010-2222-3333", language="en")


def ask(client, login, lang="en"):
    return client.post(REQUEST, {"login": login}, HTTP_ACCEPT_LANGUAGE=lang)


def sent_code(recipient) -> str:
    text = SmsMessage.objects.filter(recipient=recipient).order_by("-pk").first().text
    return re.search(r"(?<!\d)(\d{6})(?!\d)", text).group(1)


def enter(client, code, password=NEW, again=None, lang="en"):
    return client.post(CODE, {"code": code, "new_password1": password, "new_password2": again or password},
                       HTTP_ACCEPT_LANGUAGE=lang)


def logs_in(username, password) -> bool:
    response = Client().post(reverse("okryu:login"), {"username": username, "password": password})
    return response.status_code == 302


def test_the_login_page_links_to_it(client):
    assert REQUEST in client.get(reverse("okryu:login")).content.decode()


def test_a_code_by_text_sets_a_new_password_and_ends_every_other_session(client, person):
    elsewhere = Client()
    elsewhere.force_login(person)
    assert elsewhere.get(reverse("orders:list"), HTTP_ACCEPT_LANGUAGE="en").status_code == 200

    response = ask(client, "sunhui")
    assert response.status_code == 302 and response.url == CODE
    message = SmsMessage.objects.get(recipient=person)
    assert message.phone == "010-2222-3333" and "password reset code" in message.text
    assert not Notice.objects.exists(), "a reset code never goes to the inbox"
    code = sent_code(person)
    assert code not in PasswordResetCode.objects.get().code_hash

    response = enter(client, code)
    assert response.status_code == 302
    assert client.session["_auth_user_id"] == str(person.pk)
    assert client.get(reverse("orders:list")).status_code == 200
    # The other session died with the old password.
    assert elsewhere.get(reverse("orders:list")).status_code == 302
    assert logs_in("sunhui", NEW) and not logs_in("sunhui", PASSWORD)


def test_the_phone_number_finds_the_account_however_it_is_written(client, person):
    assert ask(client, "01022223333").status_code == 302
    assert enter(client, sent_code(person)).status_code == 302
    assert logs_in("sunhui", NEW)


def test_the_text_is_in_the_account_s_language(client, db):
    korean = user("cholmin", phone="010-5555-6666", language="ko")
    ask(client, "cholmin", lang="en")
    assert "비밀번호" in SmsMessage.objects.get(recipient=korean).text


def test_an_unknown_username_reads_the_same_and_sends_nothing(person):
    known, unknown = Client(), Client()
    answers = [ask(known, "sunhui"), ask(unknown, "nobody-here")]
    assert [a.status_code for a in answers] == [302, 302] and answers[0].url == answers[1].url
    pages = [c.get(CODE, HTTP_ACCEPT_LANGUAGE="en") for c in (known, unknown)]
    assert pages[0].status_code == pages[1].status_code == 200

    def without_token(page):
        return re.sub(r'name="csrfmiddlewaretoken" value="[^"]+"', "", page.content.decode())

    assert without_token(pages[0]) == without_token(pages[1])
    assert SmsMessage.objects.count() == 1 and PasswordResetCode.objects.count() == 1
    refused = enter(unknown, "123456")
    assert refused.status_code == 400 and "That code is wrong, used or expired" in refused.content.decode()


def test_a_wrong_code_five_times_ends_the_code(client, person):
    ask(client, "sunhui")
    code = sent_code(person)
    wrong = f"{(int(code) + 1) % 10**6:06d}"
    for _ in range(5):
        response = enter(client, wrong)
        assert response.status_code == 400
        assert "That code is wrong, used or expired" in response.content.decode()
    assert PasswordResetCode.objects.get().tries == 5
    assert enter(client, code).status_code == 400, "the right code, too late"
    assert logs_in("sunhui", PASSWORD)


def test_an_expired_code_is_refused(client, person):
    ask(client, "sunhui")
    PasswordResetCode.objects.update(expires_at=timezone.now() - timedelta(seconds=1))
    assert enter(client, sent_code(person)).status_code == 400
    assert logs_in("sunhui", PASSWORD)


def test_a_code_is_good_for_ten_minutes(client, person):
    ask(client, "sunhui")
    reset = PasswordResetCode.objects.get()
    assert timedelta(minutes=9, seconds=59) < reset.expires_at - reset.created_at <= timedelta(minutes=10)


def test_a_used_code_is_refused(client, person):
    ask(client, "sunhui")
    code = sent_code(person)
    assert enter(client, code).status_code == 302
    again = Client()
    session = again.session
    session[RESET_LOGIN] = "sunhui"
    session.save()
    assert enter(again, code, password="another-secret-42").status_code == 400
    assert logs_in("sunhui", NEW)


def test_a_new_code_ends_the_older_one(client, person):
    ask(client, "sunhui")
    ask(client, "sunhui")
    older, newer = PasswordResetCode.objects.order_by("pk")
    assert older.expires_at <= timezone.now() < newer.expires_at


def test_three_codes_an_hour_per_account(client, person):
    for _ in range(4):
        assert ask(client, "sunhui").status_code == 302
    assert SmsMessage.objects.count() == PasswordResetCode.objects.count() == 3


def test_three_codes_an_hour_per_phone_whatever_the_account(client, person):
    user("sunhui-shop", phone="010 2222 3333")
    for login in ["sunhui", "sunhui", "sunhui", "sunhui-shop"]:
        assert ask(client, login).status_code == 302
    assert SmsMessage.objects.count() == 3
    assert not SmsMessage.objects.filter(recipient__username="sunhui-shop").exists()


def test_a_staff_account_can_reset_too(client, db):
    staffer = user("clerk", phone="010-7777-8888", is_staff=True)
    ask(client, "clerk")
    assert enter(client, sent_code(staffer)).status_code == 302
    assert logs_in("clerk", NEW)


def test_it_lifts_a_login_lockout(client, person, settings):
    for _ in range(settings.AXES_FAILURE_LIMIT):
        Client().post(reverse("okryu:login"), {"username": "sunhui", "password": "guess"})
    assert Client().post(reverse("okryu:login"), {"username": "sunhui", "password": PASSWORD}).status_code == 429
    ask(client, "sunhui")
    assert enter(client, sent_code(person)).status_code == 302
    assert logs_in("sunhui", NEW)


def test_the_code_page_without_a_request_goes_back_to_the_start(client):
    response = client.get(CODE)
    assert response.status_code == 302 and response.url == REQUEST


@pytest.mark.parametrize(("lang", "expected"), [("en", "This field is required."), ("ko", "필수 항목입니다")])
def test_an_empty_request_is_refused_in_the_visitor_s_language(client, person, lang, expected):
    response = ask(client, "", lang=lang)
    assert response.status_code == 400 and expected in response.content.decode()
    assert not PasswordResetCode.objects.exists() and RESET_LOGIN not in client.session


@pytest.mark.parametrize(("fields", "expected"), [
    ({"code": "12ab56"}, "The code is the six digits of the text message."),
    ({"code": "1234567"}, "The code is the six digits of the text message."),
    ({"again": "something-else-99"}, "The two password fields didn"),
    ({"password": "12345678"}, "This password is entirely numeric."),
    ({"password": "short"}, "This password is too short."),
])
def test_bad_input_is_refused_and_costs_no_try(client, person, fields, expected):
    ask(client, "sunhui")
    code = fields.pop("code", sent_code(person))
    password = fields.pop("password", NEW)
    response = enter(client, code, password=password, again=fields.pop("again", None) or password)
    assert response.status_code == 400
    assert expected in response.content.decode()
    reset = PasswordResetCode.objects.get()
    assert reset.tries == 0 and reset.used_at is None
    assert logs_in("sunhui", PASSWORD)


def test_a_password_like_the_username_is_refused_without_using_the_code(client, person):
    ask(client, "sunhui")
    response = enter(client, sent_code(person), password="sunhui123x")
    assert response.status_code == 400
    assert "too similar" in response.content.decode()
    assert PasswordResetCode.objects.get().used_at is None


def test_the_korean_page_reads_in_korean(client, person):
    ask(client, "sunhui", lang="ko")
    response = enter(client, "000000", lang="ko")
    assert response.status_code == 400
    assert "확인번호가 틀렸거나" in response.content.decode()
