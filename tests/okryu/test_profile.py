"""The account page: name, phone, language and text messages, in one form."""

import re

import pytest
from django.conf import settings
from django.urls import reverse

from okryu.models import User
from okryu.notices.models import Event, SmsOptOut
from tests import factories

pytestmark = pytest.mark.django_db


def form(**fields):
    return {"first_name": "김설희", "phone": "0192 345 6789", "language": "ko",
            "texts": [Event.ORDER_PAID, Event.DELIVERED], **fields}


@pytest.fixture
def person(client):
    person = factories.user("seolhui", first_name="설희", phone="+8501911112222")
    client.force_login(person)
    return person


def test_it_shows_the_account_with_its_phone_in_the_local_format(client, person):
    page = client.get(reverse("okryu:profile")).content.decode()
    assert 'value="설희"' in page and 'value="0191 111 2222"' in page
    assert re.search(f'value="{Event.REFUND_POSTED}"[^>]* checked', page), "every text is on until switched off"


def test_it_saves_name_phone_and_texts(client, person):
    response = client.post(reverse("okryu:profile"), form())
    assert response.status_code == 302
    person.refresh_from_db()
    assert (person.first_name, person.phone) == ("김설희", "+8501923456789")
    off = set(SmsOptOut.objects.filter(user=person).values_list("event", flat=True))
    assert Event.ORDER_PAID not in off and Event.DELIVERED not in off and Event.REFUND_POSTED in off


def test_the_chosen_language_is_the_sites_from_then_on(client, person):
    response = client.post(reverse("okryu:profile"), form(language="en"), HTTP_ACCEPT_LANGUAGE="ko")
    assert response.cookies[settings.LANGUAGE_COOKIE_NAME].value == "en"
    assert User.objects.get(pk=person.pk).language == "en", "not put back by RememberLanguageMiddleware"
    page = client.get(reverse("okryu:profile"), HTTP_ACCEPT_LANGUAGE="ko").content.decode()
    assert '<html lang="en">' in page and "Your account is saved." in page


def test_a_bad_phone_is_refused_and_nothing_is_saved(client, person):
    response = client.post(reverse("okryu:profile"), form(phone="010-5555-6666", texts=[]),
                           HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 400
    assert "Enter a phone number of this country" in response.content.decode()
    person.refresh_from_db()
    assert (person.first_name, person.phone) == ("설희", "+8501911112222")
    assert not SmsOptOut.objects.filter(user=person).exists()


def test_a_bad_language_is_refused(client, person):
    assert client.post(reverse("okryu:profile"), form(language="fr")).status_code == 400
    assert User.objects.get(pk=person.pk).language == "ko"


def test_it_links_the_address_book_the_password_and_deleting(client, person):
    page = client.get(reverse("okryu:profile")).content.decode()
    for name in ("orders:addresses", "okryu:password_change", "okryu:erase_account"):
        assert reverse(name) in page


def test_it_needs_a_login(client):
    response = client.get(reverse("okryu:profile"))
    assert response.status_code == 302 and response["Location"].startswith(reverse("okryu:login"))
