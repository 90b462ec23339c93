"""The catalogue manager role: the catalogue in the admin, and nothing else."""

import importlib

import pytest
from django.apps import apps
from django.contrib.contenttypes.models import ContentType
from django.urls import reverse

from tests import factories

catalogue_migration = importlib.import_module("catalog.migrations.0007_catalogue_manager_group")

pytestmark = pytest.mark.django_db


@pytest.fixture
def manager(client):
    """A staff member in the group the data migration made. A transactional
    test's flush empties every table, so the migration's own (idempotent)
    function runs again first."""
    ContentType.objects.clear_cache()
    catalogue_migration.create_catalogue_manager_group(apps, None)
    person = factories.user("catalogue-manager", is_staff=True)
    person.groups.add(apps.get_model("auth", "Group").objects.get(name="catalogue manager"))
    client.force_login(person)
    return person


@pytest.mark.parametrize("model", ["product", "offer", "category", "attribute"])
def test_it_keeps_products_offers_prices_and_categories(client, manager, model):
    assert client.get(reverse(f"admin:catalog_{model}_changelist")).status_code == 200
    assert client.get(reverse(f"admin:catalog_{model}_add")).status_code == 200


def test_it_edits_a_products_media_on_the_product_page(manager):
    # Pictures, voice and video are an inline of the product's admin page.
    assert all(manager.has_perm(f"catalog.{action}_productmedia") for action in ("add", "change", "delete"))


def test_it_edits_a_products_attribute_values_and_an_attributes_choices_inline(manager):
    assert all(manager.has_perm(f"catalog.{action}_{model}") for action in ("add", "change", "delete")
               for model in ("productattributevalue", "attributechoice"))


def test_it_sees_sellers_and_price_history_without_changing_them(client, manager, world):
    assert client.get(reverse("admin:catalog_seller_changelist")).status_code == 200
    assert client.get(reverse("admin:catalog_seller_add")).status_code == 403
    assert client.get(reverse("admin:catalog_pricechange_changelist")).status_code == 200


@pytest.mark.parametrize("name", ["admin:orders_order_changelist", "admin:payments_card_changelist",
                                  "admin:delivery_delivery_changelist", "admin:okryu_user_changelist"])
def test_it_sees_no_orders_money_deliveries_or_accounts(client, manager, name):
    assert client.get(reverse(name)).status_code == 403


def test_the_migration_can_run_twice(manager):
    catalogue_migration.create_catalogue_manager_group(apps, None)
    assert manager.has_perm("catalog.change_offer") and not manager.has_perm("catalog.delete_seller")
