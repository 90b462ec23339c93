"""Finance staff in the admin: the role, top-ups, unlocking, statements and
the daily reconciliation page."""

import re
import uuid

import pytest
from django.urls import reverse

from payments import services
from payments.models import Account, Card, CardEvent, LedgerTransaction, Payment
from tests.factories import PIN, user

pytestmark = pytest.mark.django_db


def top_up_url(target):
    return reverse("admin:payments_card_top_up", args=[target.pk])


def test_the_finance_role_has_exactly_its_permissions(finance_clerk):
    assert set(finance_clerk.groups.get().permissions.values_list("codename", flat=True)) == {
        "view_card", "view_cardevent", "view_account", "view_payment", "view_paymentevent",
        "view_ledgertransaction", "view_ledgerentry", "top_up_card", "unlock_card", "refund_payment",
        "add_card", "reissue_card",
        # to refund orders by line
        "view_order", "view_orderline", "view_orderevent", "view_refund", "view_refundline",
    }


def test_a_clerk_sees_cards_payments_and_the_ledger_but_cannot_edit_them(finance_client, world):
    for name in ("card", "payment", "ledgertransaction", "account"):
        assert finance_client.get(reverse(f"admin:payments_{name}_changelist")).status_code == 200, name
    change = finance_client.post(
        reverse("admin:payments_card_change", args=[world.card.pk]), {"holder_name": "Mallory"}
    )
    assert change.status_code == 403
    assert Card.objects.get(pk=world.card.pk).holder_name == "Holder"


class TestTopUp:
    def test_it_tops_up_with_who_and_why_once_per_token(self, finance_client, finance_clerk, world):
        form = finance_client.get(top_up_url(world.card))
        assert form.status_code == 200
        token = re.search(r'name="token" value="([0-9a-f-]+)"', form.content.decode()).group(1)
        data = {"amount": "30000", "reason": "cash at the counter", "token": token}
        first = finance_client.post(top_up_url(world.card), data)
        again = finance_client.post(top_up_url(world.card), data)
        assert first.status_code == again.status_code == 302
        movement = LedgerTransaction.objects.get(kind=LedgerTransaction.Kind.TOP_UP, by=finance_clerk)
        assert (movement.amount, movement.note) == (30_000, "cash at the counter")
        assert services.card_balances(world.card)["available"] == 530_000

    @pytest.mark.parametrize("amount", ["0", "-5", "abc", "", "1e3", str(10**13)])
    def test_it_refuses_a_bad_amount(self, finance_client, world, amount):
        response = finance_client.post(top_up_url(world.card), {
            "amount": amount, "reason": "x", "token": str(uuid.uuid4()),
        })
        assert response.status_code == 400
        assert services.card_balances(world.card)["available"] == 500_000

    def test_it_refuses_a_closed_card_with_409(self, finance_client, world):
        Card.objects.filter(pk=world.card.pk).update(status=Card.Status.CLOSED)
        response = finance_client.post(top_up_url(world.card), {
            "amount": "100", "reason": "x", "token": str(uuid.uuid4()),
        })
        assert response.status_code == 409

    def test_it_needs_the_top_up_permission(self, client, world):
        client.force_login(user("viewer", is_staff=True))
        assert client.get(top_up_url(world.card)).status_code == 403

    def test_an_unknown_card_answers_404(self, finance_client, world):
        assert finance_client.get(reverse("admin:payments_card_top_up", args=[999_999])).status_code == 404


def test_a_clerk_unlocks_a_locked_card_and_it_is_recorded(finance_client, finance_clerk, world):
    Card.objects.filter(pk=world.card.pk).update(status=Card.Status.LOCKED, failed_pin_attempts=5)
    response = finance_client.post(reverse("admin:payments_card_changelist"), {
        "action": "unlock_cards", "_selected_action": [world.card.pk],
    })
    assert response.status_code == 302
    world.card.refresh_from_db()
    assert (world.card.status, world.card.failed_pin_attempts) == (Card.Status.ACTIVE, 0)
    assert world.card.events.filter(kind=CardEvent.Kind.UNLOCKED, by=finance_clerk).count() == 1


def test_the_statement_page_lists_the_movements(finance_client, world, gateway):
    gateway.authorize(card_number=world.card.number, pin=PIN, amount=4_000, reference="ORDER-9",
                      idempotency_key="k")
    response = finance_client.get(reverse("admin:payments_card_statement", args=[world.card.pk]))
    assert response.status_code == 200
    assert response.context["balances"]["held"] == 4_000
    assert "ORDER-9" in response.content.decode()


class TestReconciliation:
    def get(self, client, **params):
        return client.get(reverse("admin:payments_reconciliation"), params)

    def test_it_is_linked_from_the_payment_list(self, finance_client):
        page = finance_client.get(reverse("admin:payments_payment_changelist")).content.decode()
        assert reverse("admin:payments_reconciliation") in page

    def test_the_books_reconcile_after_real_traffic(self, finance_client, world, gateway):
        payment = gateway.authorize(card_number=world.card.number, pin=PIN, amount=9_000, reference="R",
                                    idempotency_key="k")
        gateway.capture(payment, 8_000)
        services.refund_payment(payment=payment, amount=1_500, by=None, idempotency_key="r")
        response = self.get(finance_client, days=3)
        assert response.status_code == 200
        assert all(check.ok for check in response.context["checks"])
        assert 'class="recon-bad"' not in response.content.decode()
        today = response.context["days"][0]
        assert (today.captures, today.refunds, today.top_ups, today.net_revenue) == (8_000, 1_500, 500_000, 6_500)
        assert len(response.context["days"]) == 3

    def test_a_mismatch_is_flagged_in_red(self, finance_client, world):
        # Drift the cached revenue balance behind the ledger's back.
        Account.objects.update_or_create(kind=Account.Kind.REVENUE, card=None, defaults={"balance": 77})
        response = self.get(finance_client)
        failed = [check for check in response.context["checks"] if not check.ok]
        assert failed and 'class="recon-bad"' in response.content.decode()

    def test_captured_minus_refunded_must_equal_revenue(self, finance_client, world, gateway):
        payment = gateway.authorize(card_number=world.card.number, pin=PIN, amount=9_000, reference="R",
                                    idempotency_key="k")
        gateway.capture(payment)
        Payment.objects.filter(pk=payment.pk).update(captured=8_000)  # a payment row that lies
        checks = self.get(finance_client).context["checks"]
        assert not checks[1].ok and (checks[1].expected, checks[1].actual) == (8_000, 9_000)

    @pytest.mark.parametrize("days", ["0", "-1", "abc", "9999"])
    def test_a_bad_day_count_answers_400(self, finance_client, days):
        assert self.get(finance_client, days=days).status_code == 400

    def test_it_needs_the_view_permissions(self, client):
        client.force_login(user("viewer", is_staff=True))
        assert self.get(client).status_code == 403
