import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('catalog', '0012_medicine_rules'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AddField(
            model_name='product',
            name='back_in_stock_told_at',
            field=models.DateTimeField(blank=True, editable=False, null=True, verbose_name='watchers told of a restock at'),
        ),
        migrations.CreateModel(
            name='WishItem',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('watching', models.BooleanField(default=False, verbose_name='tell when back in stock')),
                ('added_at', models.DateTimeField(auto_now_add=True, verbose_name='added at')),
                ('product', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='wish_items', to='catalog.product', verbose_name='product')),
                ('user', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='wish_items', to=settings.AUTH_USER_MODEL, verbose_name='customer')),
            ],
            options={
                'verbose_name': 'wish list item',
                'verbose_name_plural': 'wish list items',
                'ordering': ['-added_at', '-id'],
                'indexes': [models.Index(condition=models.Q(('watching', True)), fields=['product'], name='wishitem_watchers')],
                'constraints': [models.UniqueConstraint(fields=('user', 'product'), name='wishitem_once_per_product')],
            },
        ),
    ]
