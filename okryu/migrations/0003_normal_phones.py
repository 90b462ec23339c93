from django.db import migrations

from okryu.phones import normal_phone


def normalize_phones(apps, schema_editor):
    """Accounts' phones in the normal form where they are numbers of this
    country; any other value stays as it was written, for the person to
    correct on the account page (a login must not break on it)."""
    User = apps.get_model("okryu", "User")
    for user in User.objects.exclude(phone="").only("pk", "phone").iterator():
        normal = normal_phone(user.phone)
        if normal and normal != user.phone:
            User.objects.filter(pk=user.pk).update(phone=normal)


class Migration(migrations.Migration):

    dependencies = [
        ("okryu", "0002_user_language_passwordresetcode"),
    ]

    operations = [migrations.RunPython(normalize_phones, migrations.RunPython.noop)]
