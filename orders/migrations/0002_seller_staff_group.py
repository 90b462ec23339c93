"""The "seller staff" group: what a seller's kitchen or shipping desk may do
in the admin. Which orders they see is decided by OrderAdmin, from the
sellers a user is staff of."""

from django.contrib.auth.management import create_permissions
from django.db import migrations

GROUP = "seller staff"
PERMISSIONS = [
    ("orders", "view_order"),
    ("orders", "change_order"),
    ("orders", "view_orderline"),
    ("orders", "view_orderevent"),
]


def create_group(apps, schema_editor):
    # Permissions are normally made after all migrations ran; make them now,
    # so that a fresh database gets the group complete.
    for app_config in apps.get_app_configs():
        app_config.models_module = True
        create_permissions(app_config, apps=apps, verbosity=0)
        app_config.models_module = None
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    group, _ = Group.objects.get_or_create(name=GROUP)
    for app_label, codename in PERMISSIONS:
        group.permissions.add(Permission.objects.get(content_type__app_label=app_label, codename=codename))


def remove_group(apps, schema_editor):
    apps.get_model("auth", "Group").objects.filter(name=GROUP).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("orders", "0001_initial"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [migrations.RunPython(create_group, remove_group)]
