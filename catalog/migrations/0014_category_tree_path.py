"""Categories keep the ids from their root down to them in ``path``, so a
listing takes every descendant with one prefix match, at any depth."""

from django.db import migrations, models


def fill_paths(apps, schema_editor):
    Category = apps.get_model("catalog", "Category")
    parents = dict(Category.objects.values_list("pk", "parent_id"))

    def path(pk):
        return f"{path(parents[pk]) if parents[pk] else ''}{pk}/"

    for pk in parents:
        Category.objects.filter(pk=pk).update(path=path(pk))


class Migration(migrations.Migration):

    dependencies = [
        ('catalog', '0013_wish_list'),
    ]

    operations = [
        migrations.AddField(
            model_name='category',
            name='path',
            field=models.CharField(blank=True, default='', editable=False, max_length=255, verbose_name='tree path'),
        ),
        migrations.AddIndex(
            model_name='category',
            index=models.Index(fields=['path'], name='category_path_prefix', opclasses=['varchar_pattern_ops']),
        ),
        migrations.RunPython(fill_paths, migrations.RunPython.noop),
    ]
