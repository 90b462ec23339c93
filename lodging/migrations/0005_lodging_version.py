from django.db import migrations


class Migration(migrations.Migration):
    """The stays version of lodging/cache.py. It starts from the clock
    (microseconds), as the catalogue version does: a shared cache that
    outlives a database created again never meets its old entries."""

    dependencies = [
        ("lodging", "0004_room_night_by_night"),
    ]

    operations = [
        migrations.RunSQL(
            "CREATE SEQUENCE lodging_version;"
            " SELECT setval('lodging_version', (extract(epoch FROM clock_timestamp()) * 1000000)::bigint);",
            "DROP SEQUENCE lodging_version;",
        ),
    ]
