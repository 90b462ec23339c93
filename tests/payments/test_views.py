"""The customer's card pages: list, link, detail."""

import pytest
from django.urls import reverse

from payments.models import Card, CardEvent
from tests.factories import PIN, card, user

pytestmark = pytest.mark.django_db


def link(client, number, pin=PIN):
    return client.post(reverse("payments:cards"), {"number": number, "pin": pin}, HTTP_ACCEPT_LANGUAGE="en")


class TestCardList:
    def test_it_requires_a_login(self, client):
        response = client.get(reverse("payments:cards"))
        assert response.status_code == 302 and "/accounts/login/" in response["Location"]

    def test_it_lists_own_cards_masked_with_what_is_available(self, customer_client, world):
        page = customer_client.get(reverse("payments:cards")).content.decode()
        assert world.card.masked_number in page
        assert world.card.number not in page
        assert "500,000원" in page

    def test_it_renders_in_a_fixed_number_of_queries(self, customer_client, world, django_assert_max_num_queries):
        for _ in range(5):
            card(owner=world.customer)
        with django_assert_max_num_queries(6):
            assert customer_client.get(reverse("payments:cards")).status_code == 200


class TestLinkCard:
    def test_it_links_a_card_with_its_pin(self, customer_client, world):
        spare = card(owner=None, balance=7_000)
        response = link(customer_client, spare.number)
        assert response.status_code == 302 and response["Location"] == spare.get_absolute_url()
        spare.refresh_from_db()
        assert spare.owner == world.customer
        assert spare.events.filter(kind=CardEvent.Kind.LINKED, by=world.customer).exists()

    def test_it_accepts_spaces_and_dashes_in_the_number(self, customer_client, world):
        spare = card(owner=None)
        n = spare.number
        assert link(customer_client, f"{n[:4]} {n[4:8]}-{n[8:12]} {n[12:]}").status_code == 302

    def test_a_wrong_pin_links_nothing_and_counts(self, customer_client, world):
        spare = card(owner=None)
        response = link(customer_client, spare.number, pin="9876")
        assert response.status_code == 400
        spare.refresh_from_db()
        assert (spare.owner, spare.failed_pin_attempts) == (None, 1)

    def test_a_bad_check_digit_is_a_form_error(self, customer_client, world):
        spare = card(owner=None)
        wrong = spare.number[:-1] + str((int(spare.number[-1]) + 1) % 10)
        response = link(customer_client, wrong)
        assert response.status_code == 400
        assert response.context["form"].has_error("number", "card_number")

    def test_an_unknown_card_links_nothing(self, customer_client, world):
        response = link(customer_client, "4111111111111111")  # Luhn-valid, not ours
        assert response.status_code == 400
        assert response.context["form"].non_field_errors()

    def test_someone_elses_card_is_refused_with_409(self, customer_client, world):
        theirs = card(owner=user("other"))
        response = link(customer_client, theirs.number)
        assert response.status_code == 409
        assert Card.objects.get(pk=theirs.pk).owner.username == "other"

    def test_a_non_numeric_pin_is_a_form_error(self, customer_client, world):
        response = link(customer_client, card(owner=None).number, pin="12a4")
        assert response.status_code == 400
        assert response.context["form"].has_error("pin", "pin")


class TestCardDetail:
    def test_the_holder_sees_the_masked_number_balances_and_statement(self, customer_client, world, gateway):
        gateway.authorize(card_number=world.card.number, pin=PIN, amount=12_000, reference="ORDER-77",
                          idempotency_key="k")
        response = customer_client.get(world.card.get_absolute_url())
        page = response.content.decode()
        assert response.status_code == 200
        assert world.card.masked_number in page
        assert world.card.number[-8:-4] not in page and world.card.number[:4] not in page
        assert response.context["balances"] == {"available": 488_000, "held": 12_000, "balance": 500_000}
        assert "ORDER-77" in page and "-12,000원" in page

    def test_someone_elses_card_answers_404(self, customer_client, world):
        theirs = card(owner=user("other"))
        assert customer_client.get(theirs.get_absolute_url()).status_code == 404

    def test_an_unlinked_card_answers_404(self, customer_client, world):
        assert customer_client.get(card(owner=None).get_absolute_url()).status_code == 404
