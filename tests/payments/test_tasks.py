"""The periodic hold release, called as the worker calls it."""

import pytest

from payments import tasks
from payments.models import Payment
from tests.factories import card
from tests.payments.test_release_expired_holds import hold


@pytest.mark.django_db
def test_the_periodic_job_voids_expired_holds_once(gateway):
    expired = hold(gateway, card(balance=10_000), "old")
    assert tasks.release_expired_holds(timestamp=0) == 1
    assert tasks.release_expired_holds(timestamp=0) == 0
    assert Payment.objects.get(pk=expired.pk).status == "voided"
