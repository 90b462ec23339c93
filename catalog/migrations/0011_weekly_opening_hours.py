import django.db.models.deletion
from django.db import migrations, models


def every_day_as_before(apps, schema_editor):
    """A seller's one daily opening and closing time becomes the same hours on every weekday."""
    Seller = apps.get_model("catalog", "Seller")
    OpeningHours = apps.get_model("catalog", "OpeningHours")
    OpeningHours.objects.bulk_create(
        OpeningHours(seller_id=seller_id, weekday=weekday, opens_at=opens_at, closes_at=closes_at)
        for seller_id, opens_at, closes_at in Seller.objects.filter(
            opens_at__isnull=False, closes_at__isnull=False).values_list("id", "opens_at", "closes_at")
        for weekday in range(7)
    )


class Migration(migrations.Migration):

    dependencies = [
        ('catalog', '0010_offer_seller_price'),
    ]

    operations = [
        migrations.CreateModel(
            name='ClosedDay',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('date', models.DateField(verbose_name='date')),
                ('seller', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='closed_days', to='catalog.seller', verbose_name='seller')),
            ],
            options={
                'verbose_name': 'closed day',
                'verbose_name_plural': 'closed days',
                'ordering': ['seller', 'date'],
                'constraints': [models.UniqueConstraint(fields=('seller', 'date'), name='closedday_once_per_date')],
            },
        ),
        migrations.CreateModel(
            name='OpeningHours',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('weekday', models.PositiveSmallIntegerField(choices=[(0, 'Monday'), (1, 'Tuesday'), (2, 'Wednesday'), (3, 'Thursday'), (4, 'Friday'), (5, 'Saturday'), (6, 'Sunday')], verbose_name='weekday')),
                ('opens_at', models.TimeField(verbose_name='opens at')),
                ('closes_at', models.TimeField(verbose_name='closes at')),
                ('seller', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='opening_hours', to='catalog.seller', verbose_name='seller')),
            ],
            options={
                'verbose_name': 'opening hours',
                'verbose_name_plural': 'opening hours',
                'ordering': ['seller', 'weekday', 'opens_at'],
                'constraints': [models.UniqueConstraint(fields=('seller', 'weekday', 'opens_at'), name='openinghours_one_per_start'), models.CheckConstraint(condition=models.Q(('weekday__lte', 6)), name='openinghours_weekday_0_to_6')],
            },
        ),
        migrations.RunPython(every_day_as_before, migrations.RunPython.noop),
        migrations.RemoveField(
            model_name='seller',
            name='closes_at',
        ),
        migrations.RemoveField(
            model_name='seller',
            name='opens_at',
        ),
    ]
