"""The release_expired_holds command."""

from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.utils import timezone

from payments import services
from payments.models import LedgerTransaction, Payment
from tests.factories import PIN, card
from tests.races import race


def hold(gateway, the_card, key, *, expired=True, age=timedelta(0)):
    payment = gateway.authorize(card_number=the_card.number, pin=PIN, amount=1_000, reference=key,
                                idempotency_key=key)
    now = timezone.now()
    Payment.objects.filter(pk=payment.pk).update(
        hold_expires_at=now - timedelta(minutes=1) if expired else now + timedelta(days=1), created_at=now - age,
    )
    return payment


def run(*args) -> str:
    out = StringIO()
    call_command("release_expired_holds", *args, stdout=out)
    return out.getvalue()


@pytest.mark.django_db
def test_it_voids_expired_holds_only_and_is_idempotent(gateway):
    funded = card(balance=10_000)
    expired = hold(gateway, funded, "old")
    fresh = hold(gateway, funded, "new", expired=False)
    captured = hold(gateway, funded, "done")
    gateway.capture(captured)
    assert "Released 1 " in run()
    assert "Released 0 " in run()
    statuses = dict(Payment.objects.values_list("reference", "status"))
    assert statuses == {"old": "voided", "new": "authorized", "done": "captured"}
    assert expired.events.last().note == "hold expired"
    assert services.card_balances(funded) == {"available": 8_000, "held": 1_000, "balance": 9_000}
    assert fresh.pk


@pytest.mark.django_db
def test_older_than_also_voids_holds_that_have_not_expired_yet(gateway):
    funded = card(balance=10_000)
    hold(gateway, funded, "yesterday", expired=False, age=timedelta(hours=30))
    hold(gateway, funded, "now", expired=False)
    assert "Released 1 " in run("--older-than", "24")
    assert Payment.objects.get(reference="yesterday").status == Payment.Status.VOIDED
    assert Payment.objects.get(reference="now").status == Payment.Status.AUTHORIZED


@pytest.mark.django_db
@pytest.mark.parametrize("hours", ["0", "-3", "soon"])
def test_a_bad_older_than_is_refused(hours):
    with pytest.raises((CommandError, SystemExit)):
        run("--older-than", hours)


@pytest.mark.django_db(transaction=True)
def test_two_runs_at_once_void_each_hold_once(gateway):
    funded = card(balance=100_000)
    for index in range(30):
        hold(gateway, funded, f"h{index}")
    released = race(services.release_expired_holds, services.release_expired_holds)
    assert sum(released) == 30
    assert Payment.objects.filter(status=Payment.Status.VOIDED).count() == 30
    assert LedgerTransaction.objects.filter(kind=LedgerTransaction.Kind.RELEASE).count() == 30
    assert services.card_balances(funded) == {"available": 100_000, "held": 0, "balance": 100_000}
