import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('catalog', '0012_medicine_rules'),
        ('orders', '0005_finance_refunds_orders'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name='Prescription',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('number', models.CharField(max_length=40, verbose_name='prescription number')),
                ('status', models.CharField(choices=[('pending', 'Waiting for a pharmacist'), ('approved', 'Approved'), ('rejected', 'Rejected')], default='pending', max_length=20, verbose_name='status')),
                ('created_at', models.DateTimeField(auto_now_add=True, verbose_name='given at')),
                ('product', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='+', to='catalog.product', verbose_name='medicine')),
                ('user', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='prescriptions', to=settings.AUTH_USER_MODEL, verbose_name='customer')),
            ],
            options={
                'verbose_name': 'prescription',
                'verbose_name_plural': 'prescriptions',
                'ordering': ['created_at', 'id'],
            },
        ),
        migrations.AddField(
            model_name='cartline',
            name='prescription',
            field=models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to='orders.prescription'),
        ),
        migrations.AddField(
            model_name='orderline',
            name='prescription',
            field=models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='order_lines', to='orders.prescription', verbose_name='prescription'),
        ),
        migrations.CreateModel(
            name='PrescriptionEvent',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('note', models.CharField(blank=True, max_length=200, verbose_name='note')),
                ('created_at', models.DateTimeField(auto_now_add=True, verbose_name='at')),
                ('from_status', models.CharField(blank=True, choices=[('pending', 'Waiting for a pharmacist'), ('approved', 'Approved'), ('rejected', 'Rejected')], max_length=20, verbose_name='from')),
                ('to_status', models.CharField(choices=[('pending', 'Waiting for a pharmacist'), ('approved', 'Approved'), ('rejected', 'Rejected')], max_length=20, verbose_name='to')),
                ('by', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, to=settings.AUTH_USER_MODEL, verbose_name='by')),
                ('prescription', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='events', to='orders.prescription')),
            ],
            options={
                'verbose_name': 'prescription event',
                'verbose_name_plural': 'prescription events',
                'ordering': ['created_at', 'id'],
                'abstract': False,
            },
        ),
        migrations.AddIndex(
            model_name='prescription',
            index=models.Index(fields=['status', 'created_at'], name='prescription_status_time'),
        ),
    ]
