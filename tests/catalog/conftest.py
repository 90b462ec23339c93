import io

import pytest
from django.core.management import call_command
from django.db import transaction


@pytest.fixture(scope="module")
def demo_store(django_db_setup, django_db_blocker):
    """The demo store, seeded once for a test module inside a transaction
    that is rolled back after it; each test runs in a savepoint of its own
    within it (pytest-django's ``db``). Without the pictures: search does
    not look at them, and encoding them takes most of the seeding time."""
    with django_db_blocker.unblock(), pytest.MonkeyPatch.context() as patch:
        patch.setattr("orders.management.commands.seed_demo.store_product_image", lambda **_: None)
        with transaction.atomic():
            call_command("seed_demo", stdout=io.StringIO())
            yield
            transaction.set_rollback(True)


@pytest.fixture
def demo(demo_store, db):
    """A test on the demo store."""
