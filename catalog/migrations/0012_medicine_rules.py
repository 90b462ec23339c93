from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('catalog', '0011_weekly_opening_hours'),
    ]

    operations = [
        migrations.AddField(
            model_name='product',
            name='limit_days',
            field=models.PositiveSmallIntegerField(blank=True, null=True, verbose_name='within (days)'),
        ),
        migrations.AddField(
            model_name='product',
            name='limit_units',
            field=models.PositiveSmallIntegerField(blank=True, help_text='With the days below: how many one customer may buy from all sellers together.', null=True, verbose_name='at most (units per customer)'),
        ),
        migrations.AddField(
            model_name='product',
            name='prescription_only',
            field=models.BooleanField(default=False, help_text='Sold only against a prescription number that a pharmacist approves.', verbose_name='prescription only'),
        ),
        migrations.AddConstraint(
            model_name='product',
            constraint=models.CheckConstraint(condition=models.Q(models.Q(('limit_days__isnull', True), ('limit_units__isnull', True)), models.Q(('limit_days__gte', 1), ('limit_units__gte', 1)), _connector='OR'), name='product_limit_units_and_days_together'),
        ),
    ]
