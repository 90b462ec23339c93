from django.db import migrations


class Migration(migrations.Migration):
    """The stock version of catalog/cache.py, started from the clock like
    the catalogue version (0003)."""

    dependencies = [
        ("catalog", "0019_seller_score"),
    ]

    operations = [
        migrations.RunSQL(
            "CREATE SEQUENCE catalog_stock_version;"
            " SELECT setval('catalog_stock_version', (extract(epoch FROM clock_timestamp()) * 1000000)::bigint);",
            "DROP SEQUENCE catalog_stock_version;",
        ),
    ]
