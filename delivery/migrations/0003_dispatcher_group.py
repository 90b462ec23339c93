from django.apps import apps as global_apps
from django.contrib.auth.management import create_permissions
from django.db import migrations

from delivery.roles import ensure_dispatcher_group


def create_dispatcher_group(apps, schema_editor):
    # Permissions are normally created after all migrations ran; create this
    # app's now so that the group can hold them.
    create_permissions(global_apps.get_app_config("delivery"), apps=apps, verbosity=0)
    ensure_dispatcher_group(apps)


def remove_dispatcher_group(apps, schema_editor):
    apps.get_model("auth", "Group").objects.filter(name="dispatcher").delete()


class Migration(migrations.Migration):

    dependencies = [
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
        ("delivery", "0002_delivery_order"),
    ]

    operations = [migrations.RunPython(create_dispatcher_group, remove_dispatcher_group)]
