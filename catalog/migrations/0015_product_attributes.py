"""Typed product attributes per category, and each product's values."""

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('catalog', '0014_category_tree_path'),
    ]

    operations = [
        migrations.CreateModel(
            name='Attribute',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('code', models.SlugField(help_text='Names the filter in addresses: ?a.<code>=<value>.', max_length=40, unique=True, verbose_name='code')),
                ('name_ko', models.CharField(max_length=80, verbose_name='name (Korean)')),
                ('name_en', models.CharField(blank=True, max_length=80, verbose_name='name (English)')),
                ('kind', models.CharField(choices=[('number', 'Number'), ('choice', 'Choice from a list'), ('text', 'Text')], max_length=10, verbose_name='kind')),
                ('unit', models.CharField(blank=True, help_text='For numbers: ml, g, mm…', max_length=20, verbose_name='unit')),
                ('position', models.PositiveSmallIntegerField(default=0, verbose_name='position')),
            ],
            options={
                'verbose_name': 'attribute',
                'verbose_name_plural': 'attributes',
                'ordering': ['position', 'code'],
            },
        ),
        migrations.CreateModel(
            name='AttributeChoice',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('code', models.SlugField(max_length=40, verbose_name='code')),
                ('label_ko', models.CharField(max_length=80, verbose_name='label (Korean)')),
                ('label_en', models.CharField(blank=True, max_length=80, verbose_name='label (English)')),
                ('position', models.PositiveSmallIntegerField(default=0, verbose_name='position')),
            ],
            options={
                'verbose_name': 'attribute choice',
                'verbose_name_plural': 'attribute choices',
                'ordering': ['attribute', 'position', 'code'],
            },
        ),
        migrations.CreateModel(
            name='ProductAttributeValue',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('number', models.DecimalField(blank=True, decimal_places=3, max_digits=12, null=True, verbose_name='number')),
                ('text', models.CharField(blank=True, max_length=80, verbose_name='text')),
            ],
            options={
                'verbose_name': 'attribute value',
                'verbose_name_plural': 'attribute values',
                'ordering': ['attribute__position', 'attribute__code'],
            },
        ),
        migrations.AddField(
            model_name='attribute',
            name='categories',
            field=models.ManyToManyField(related_name='attributes', to='catalog.category', verbose_name='categories'),
        ),
        migrations.AddField(
            model_name='attributechoice',
            name='attribute',
            field=models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='choices', to='catalog.attribute', verbose_name='attribute'),
        ),
        migrations.AddField(
            model_name='productattributevalue',
            name='attribute',
            field=models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='values', to='catalog.attribute', verbose_name='attribute'),
        ),
        migrations.AddField(
            model_name='productattributevalue',
            name='choice',
            field=models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to='catalog.attributechoice', verbose_name='choice'),
        ),
        migrations.AddField(
            model_name='productattributevalue',
            name='product',
            field=models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='attribute_values', to='catalog.product', verbose_name='product'),
        ),
        migrations.AddConstraint(
            model_name='attributechoice',
            constraint=models.UniqueConstraint(fields=('attribute', 'code'), name='attributechoice_code_once'),
        ),
        migrations.AddIndex(
            model_name='productattributevalue',
            index=models.Index(fields=['attribute', 'number'], name='attributevalue_number'),
        ),
        migrations.AddIndex(
            model_name='productattributevalue',
            index=models.Index(fields=['attribute', 'choice'], name='attributevalue_choice'),
        ),
        migrations.AddIndex(
            model_name='productattributevalue',
            index=models.Index(fields=['attribute', 'text'], name='attributevalue_text'),
        ),
        migrations.AddConstraint(
            model_name='productattributevalue',
            constraint=models.UniqueConstraint(fields=('product', 'attribute'), name='productattributevalue_once'),
        ),
        migrations.AddConstraint(
            model_name='productattributevalue',
            constraint=models.CheckConstraint(condition=models.Q(models.Q(('choice__isnull', True), ('number__isnull', False), ('text', '')), models.Q(('choice__isnull', False), ('number__isnull', True), ('text', '')), models.Q(('choice__isnull', True), ('number__isnull', True), models.Q(('text', ''), _negated=True)), _connector='OR'), name='productattributevalue_one_column'),
        ),
    ]
