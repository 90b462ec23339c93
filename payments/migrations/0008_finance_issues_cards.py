"""Finance staff also issue cards at the counter and reissue lost ones."""

from django.contrib.auth.management import create_permissions
from django.db import migrations

FINANCE_GROUP = "finance"
CARD_ISSUING_PERMISSIONS = ["add_card", "reissue_card"]


def grant_card_issuing(apps, schema_editor):
    """Idempotent, so the test suite can call it again after a flush."""
    payments_config = apps.get_app_config("payments")
    payments_config.models_module = True
    create_permissions(payments_config, apps=apps, verbosity=0)
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    group, _ = Group.objects.get_or_create(name=FINANCE_GROUP)
    group.permissions.add(
        *Permission.objects.filter(content_type__app_label="payments", codename__in=CARD_ISSUING_PERMISSIONS)
    )


def revoke_card_issuing(apps, schema_editor):
    Permission = apps.get_model("auth", "Permission")
    group = apps.get_model("auth", "Group").objects.filter(name=FINANCE_GROUP).first()
    if group:
        group.permissions.remove(
            *Permission.objects.filter(content_type__app_label="payments", codename__in=CARD_ISSUING_PERMISSIONS)
        )


class Migration(migrations.Migration):
    dependencies = [
        ("payments", "0007_card_events_reissue"),
    ]

    operations = [
        migrations.RunPython(grant_card_issuing, revoke_card_issuing),
    ]
