from django.apps import apps as global_apps
from django.contrib.auth.management import create_permissions
from django.db import migrations

from catalog.roles import CATALOGUE_MANAGER_GROUP, ensure_catalogue_manager_group


def create_catalogue_manager_group(apps, schema_editor):
    # Permissions are normally created after all migrations ran; create this
    # app's now so that the group can hold them.
    create_permissions(global_apps.get_app_config("catalog"), apps=apps, verbosity=0)
    ensure_catalogue_manager_group(apps)


def remove_catalogue_manager_group(apps, schema_editor):
    apps.get_model("auth", "Group").objects.filter(name=CATALOGUE_MANAGER_GROUP).delete()


class Migration(migrations.Migration):

    dependencies = [
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
        ("catalog", "0006_seller_kind_lodging"),
    ]

    operations = [migrations.RunPython(create_catalogue_manager_group, remove_catalogue_manager_group)]
