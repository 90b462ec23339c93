"""Existing cards keep only the keyed hash and the last four digits of their
number (payments.numbers); the next migration drops the numbers. Going
back restores no number (none can be read from what is left): it serves a
database without cards, such as the test that runs this migration."""

from django.db import migrations

from payments.numbers import number_hash


def hash_card_numbers(apps, schema_editor):
    Card = apps.get_model("payments", "Card")
    for card in Card.objects.filter(number_hash=None).only("pk", "number").iterator():
        Card.objects.filter(pk=card.pk).update(number_hash=number_hash(card.number), last_four=card.number[-4:])


class Migration(migrations.Migration):
    dependencies = [
        ("payments", "0004_card_number_hash"),
    ]

    operations = [
        migrations.RunPython(hash_card_numbers, migrations.RunPython.noop, elidable=False),
    ]
