from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("payments", "0003_finance_group"),
    ]

    operations = [
        migrations.AddField(
            model_name="card",
            name="number_hash",
            field=models.CharField(editable=False, max_length=64, null=True, verbose_name="card number hash"),
        ),
        migrations.AddField(
            model_name="card",
            name="last_four",
            field=models.CharField(default="", editable=False, max_length=4, verbose_name="last four digits"),
            preserve_default=False,
        ),
    ]
