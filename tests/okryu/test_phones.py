"""Phone numbers are this country's, kept in one form, shown in the local one."""

import pytest
from django.urls import reverse

from okryu.models import User
from okryu.phones import display_phone, normal_phone


@pytest.mark.parametrize(("written", "normal"), [
    ("0191 234 5678", "+8501912345678"),
    ("191-234-5678", "+8501912345678"),
    ("+850 192 123 4567", "+8501921234567"),
    ("02 381 2345", "+85023812345"),
    ("02-381-2345", "+85023812345"),
])
def test_it_accepts_mobiles_and_pyongyang_landlines_in_any_spelling(written, normal):
    assert normal_phone(written) == normal


@pytest.mark.parametrize("written", [
    "010-5555-6666",  # another country's mobile
    "0193 123 4567",  # a mobile range the bureau's customers are not on
    "0191 234 567",  # a digit short
    "+82 10 5555 6666",  # another country
    "call me", "", "1" * 30,
])
def test_it_refuses_what_is_not_one_of_our_numbers(written):
    assert normal_phone(written) is None


def test_it_shows_numbers_in_the_local_format_and_old_values_as_written():
    assert display_phone("+8501912345678") == "0191 234 5678"
    assert display_phone("+85023812345") == "02 381 2345"
    assert display_phone("010-5555-6666") == "010-5555-6666"
    assert display_phone("") == ""


def register(client, phone):
    return client.post(reverse("okryu:register"), {
        "username": "sunhui", "first_name": "Sunhui", "phone": phone, "password1": "a-long-pass-99",
        "password2": "a-long-pass-99",
    }, HTTP_ACCEPT_LANGUAGE="en")


@pytest.mark.django_db
def test_registration_stores_the_normal_form(client):
    assert register(client, "0191-234-5678").status_code == 302
    assert User.objects.get(username="sunhui").phone == "+8501912345678"


@pytest.mark.django_db
def test_registration_refuses_a_foreign_number_with_a_message(client):
    response = register(client, "010-5555-6666")
    assert response.status_code == 400
    assert "Enter a phone number of this country" in response.content.decode()
    assert not User.objects.filter(username="sunhui").exists()


@pytest.mark.django_db
def test_the_message_is_korean_by_default(client):
    response = client.post(reverse("okryu:register"), {"username": "sunhui", "phone": "12"})
    assert "우리 나라 전화번호를 입력하십시오" in response.content.decode()


@pytest.mark.django_db
def test_a_password_reset_finds_the_account_by_its_number_in_any_spelling(db):
    from okryu.password_reset import accounts_for
    from tests import factories

    person = factories.user("sunhui", phone="+8501912345678")
    assert accounts_for("0191 234 5678") == [person]
    assert accounts_for("191-234-5678") == [person]
