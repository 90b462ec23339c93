from django.db import migrations


class Migration(migrations.Migration):
    """The catalogue version of catalog/cache.py. It starts from the clock
    (microseconds): a Redis cache that outlives a database created again
    then never meets entries it cached under the same numbers before."""

    dependencies = [
        ("catalog", "0002_fill_search_text"),
    ]

    operations = [
        migrations.RunSQL(
            "CREATE SEQUENCE catalog_version;"
            " SELECT setval('catalog_version', (extract(epoch FROM clock_timestamp()) * 1000000)::bigint);",
            "DROP SEQUENCE catalog_version;",
        ),
    ]
