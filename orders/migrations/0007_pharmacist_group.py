from django.apps import apps as global_apps
from django.contrib.auth.management import create_permissions
from django.db import migrations

from orders.roles import PHARMACIST_GROUP, ensure_pharmacist_group


def create_pharmacist_group(apps, schema_editor):
    # Permissions are normally created after all migrations ran; create this
    # app's now so that the group can hold them.
    create_permissions(global_apps.get_app_config("orders"), apps=apps, verbosity=0)
    ensure_pharmacist_group(apps)


def remove_pharmacist_group(apps, schema_editor):
    apps.get_model("auth", "Group").objects.filter(name=PHARMACIST_GROUP).delete()


class Migration(migrations.Migration):

    dependencies = [
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
        ("orders", "0006_prescriptions"),
    ]

    operations = [migrations.RunPython(create_pharmacist_group, remove_pharmacist_group)]
