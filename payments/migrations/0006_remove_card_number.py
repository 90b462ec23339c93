from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("payments", "0005_hash_card_numbers"),
    ]

    operations = [
        migrations.RemoveField(model_name="card", name="number"),
        migrations.AlterField(
            model_name="card",
            name="number_hash",
            field=models.CharField(editable=False, max_length=64, unique=True, verbose_name="card number hash"),
        ),
    ]
