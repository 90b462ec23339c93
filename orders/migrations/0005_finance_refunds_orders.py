"""The finance group refunds orders by line from the admin: it needs to see
the orders, their lines and refunds (the refund page itself checks
``payments.refund_payment``, which the group already holds)."""

from django.contrib.auth.management import create_permissions
from django.db import migrations

FINANCE_GROUP = "finance"
PERMISSIONS = ["view_order", "view_orderline", "view_orderevent", "view_refund", "view_refundline"]


def let_finance_see_orders(apps, schema_editor):
    """Idempotent, so the test suite can call it again after a flush."""
    orders_config = apps.get_app_config("orders")
    orders_config.models_module = True
    create_permissions(orders_config, apps=apps, verbosity=0)
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    group, _ = Group.objects.get_or_create(name=FINANCE_GROUP)
    group.permissions.add(*Permission.objects.filter(content_type__app_label="orders", codename__in=PERMISSIONS))


def stop(apps, schema_editor):
    Group = apps.get_model("auth", "Group")
    for group in Group.objects.filter(name=FINANCE_GROUP):
        group.permissions.remove(*group.permissions.filter(content_type__app_label="orders",
                                                           codename__in=PERMISSIONS))


class Migration(migrations.Migration):
    dependencies = [
        ("orders", "0004_refunds_by_line"),
        ("payments", "0003_finance_group"),
    ]

    operations = [migrations.RunPython(let_finance_see_orders, stop)]
