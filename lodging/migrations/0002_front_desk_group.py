from django.apps import apps as global_apps
from django.contrib.auth.management import create_permissions
from django.db import migrations

from lodging.roles import FRONT_DESK_GROUP, ensure_front_desk_group


def create_front_desk_group(apps, schema_editor):
    # Permissions are normally created after all migrations ran; create this
    # app's now so that the group can hold them.
    create_permissions(global_apps.get_app_config("lodging"), apps=apps, verbosity=0)
    ensure_front_desk_group(apps)


def remove_front_desk_group(apps, schema_editor):
    apps.get_model("auth", "Group").objects.filter(name=FRONT_DESK_GROUP).delete()


class Migration(migrations.Migration):

    dependencies = [
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
        ("lodging", "0001_initial"),
    ]

    operations = [migrations.RunPython(create_front_desk_group, remove_front_desk_group)]
