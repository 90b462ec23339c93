from django.apps import apps as global_apps
from django.contrib.auth.management import create_permissions
from django.db import migrations

from catalog.roles import ensure_catalogue_manager_group


def grant_attributes(apps, schema_editor):
    # The new models' permissions exist only after all migrations ran; create them now for the group.
    create_permissions(global_apps.get_app_config("catalog"), apps=apps, verbosity=0)
    ensure_catalogue_manager_group(apps)


class Migration(migrations.Migration):

    dependencies = [
        ("catalog", "0017_remove_fixed_attribute_fields"),
    ]

    operations = [migrations.RunPython(grant_attributes, migrations.RunPython.noop)]
