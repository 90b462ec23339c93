"""The "finance" staff role: sees cards, payments and the ledger, tops up
cards, unlocks them and refunds payments. Changing or deleting any of them
directly is not part of the role: money moves only through the services."""

from django.contrib.auth.management import create_permissions
from django.db import migrations

FINANCE_GROUP = "finance"
FINANCE_PERMISSIONS = [
    "view_card", "view_cardevent", "view_account", "view_payment", "view_paymentevent",
    "view_ledgertransaction", "view_ledgerentry",
    "top_up_card", "unlock_card", "refund_payment",
]


def create_finance_group(apps, schema_editor):
    """Idempotent, so the test suite can call it again after a flush."""
    # Permissions are normally created after all migrations ran; make ours now.
    payments_config = apps.get_app_config("payments")
    payments_config.models_module = True
    create_permissions(payments_config, apps=apps, verbosity=0)
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    group, _ = Group.objects.get_or_create(name=FINANCE_GROUP)
    group.permissions.add(
        *Permission.objects.filter(content_type__app_label="payments", codename__in=FINANCE_PERMISSIONS)
    )


def remove_finance_group(apps, schema_editor):
    apps.get_model("auth", "Group").objects.filter(name=FINANCE_GROUP).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("payments", "0002_ledger_insert_only"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [migrations.RunPython(create_finance_group, remove_finance_group)]
