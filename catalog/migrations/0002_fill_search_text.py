"""Fill the search column of products that exist before it does (a catalog
loaded by an older version); on a new database there are none."""

from django.db import migrations

from catalog.search import document


def fill_search_text(apps, schema_editor):
    Product = apps.get_model("catalog", "Product")
    batch = []
    for product in Product.objects.only("name_ko", "name_en").iterator(chunk_size=2000):
        product.search_text = document(product.name_ko, product.name_en)
        batch.append(product)
        if len(batch) == 2000:
            Product.objects.bulk_update(batch, ["search_text"])
            batch = []
    Product.objects.bulk_update(batch, ["search_text"])


class Migration(migrations.Migration):
    dependencies = [("catalog", "0001_initial")]

    operations = [migrations.RunPython(fill_search_text, migrations.RunPython.noop)]
