import importlib

import pytest
from django.apps import apps
from django.contrib.auth.models import Group

from payments.gateway import get_gateway
from tests import factories

finance_migration = importlib.import_module("payments.migrations.0003_finance_group")
card_issuing_migration = importlib.import_module("payments.migrations.0008_finance_issues_cards")
order_refunds_migration = importlib.import_module("orders.migrations.0005_finance_refunds_orders")


@pytest.fixture
def gateway():
    return get_gateway()


@pytest.fixture
def finance_group(db) -> Group:
    """The group the data migration made. A transactional test's flush
    empties every table, so make it again (the migration's own function,
    which is idempotent) when it is gone."""
    finance_migration.create_finance_group(apps, None)
    card_issuing_migration.grant_card_issuing(apps, None)
    order_refunds_migration.let_finance_see_orders(apps, None)
    return Group.objects.get(name=finance_migration.FINANCE_GROUP)


@pytest.fixture
def finance_clerk(finance_group):
    clerk = factories.user("clerk", is_staff=True)
    clerk.groups.add(finance_group)
    return clerk
