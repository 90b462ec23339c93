"""The three fixed attribute fields, now attributes (0016)."""

from django.db import migrations


class Migration(migrations.Migration):

    dependencies = [
        ('catalog', '0016_fixed_fields_to_attributes'),
    ]

    operations = [
        migrations.RemoveField(
            model_name='product',
            name='size',
        ),
        migrations.RemoveField(
            model_name='product',
            name='volume_ml',
        ),
        migrations.RemoveField(
            model_name='product',
            name='weight_g',
        ),
    ]
