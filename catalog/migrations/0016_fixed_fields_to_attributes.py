"""The products' weight_g, volume_ml and size become values of the weight,
volume and size attributes, which apply to the top categories of the
products that had them; a field nobody filled makes no attribute."""

from django.db import migrations

# field, code, kind, unit, Korean and English names
FIELDS = [
    ("weight_g", "weight", "number", "g", "무게", "Weight"),
    ("volume_ml", "volume", "number", "ml", "용량", "Volume"),
    ("size", "size", "text", "", "크기", "Size"),
]


def to_attributes(apps, schema_editor):
    Attribute = apps.get_model("catalog", "Attribute")
    Product = apps.get_model("catalog", "Product")
    ProductAttributeValue = apps.get_model("catalog", "ProductAttributeValue")
    for position, (field, code, kind, unit, name_ko, name_en) in enumerate(FIELDS):
        empty = "" if kind == "text" else None
        rows = list(Product.objects.exclude(**{field: empty}).values_list("pk", field, "category__path"))
        if not rows:
            continue
        attribute = Attribute.objects.create(code=code, kind=kind, unit=unit, name_ko=name_ko, name_en=name_en,
                                             position=position)
        attribute.categories.set({int(path.split("/")[0]) for _, _, path in rows})
        column = "number" if kind == "number" else "text"
        ProductAttributeValue.objects.bulk_create(
            ProductAttributeValue(product_id=pk, attribute=attribute, **{column: value}) for pk, value, _ in rows
        )


def to_fields(apps, schema_editor):
    Attribute = apps.get_model("catalog", "Attribute")
    Product = apps.get_model("catalog", "Product")
    for field, code, kind, *_ in FIELDS:
        attribute = Attribute.objects.filter(code=code).first()
        if attribute is None:
            continue
        for value in attribute.values.all():
            stored = int(value.number) if kind == "number" else value.text[:40]
            Product.objects.filter(pk=value.product_id).update(**{field: stored})


class Migration(migrations.Migration):

    dependencies = [
        ('catalog', '0015_product_attributes'),
    ]

    operations = [
        migrations.RunPython(to_attributes, to_fields),
    ]
