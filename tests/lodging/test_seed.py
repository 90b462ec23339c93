"""The demo stays: seed_demo loads the city's hotels and inns with rooms,
pictures and rates, and running it again changes nothing."""

import pytest
from django.core.management import call_command
from django.urls import reverse

from lodging.models import Lodging, RateRule, RoomType


@pytest.mark.slow
def test_seed_demo_loads_the_stays_once(db, media_root, client):
    call_command("seed_demo", stdout=open("/dev/null", "w"))
    counts = (Lodging.objects.count(), RoomType.objects.count(), RateRule.objects.count())
    pictures = sorted(Lodging.objects.values_list("thumbnails__stem", flat=True))
    assert {"koryo", "yanggakdo", "haebangsan", "changgwangsan", "potonggang", "sosan"} <= set(
        Lodging.objects.values_list("slug", flat=True))
    assert Lodging.objects.filter(kind="inn").count() >= 2
    assert all(pictures)
    call_command("seed_demo", stdout=open("/dev/null", "w"))
    assert (Lodging.objects.count(), RoomType.objects.count(), RateRule.objects.count()) == counts
    assert sorted(Lodging.objects.values_list("thumbnails__stem", flat=True)) == pictures
    page = client.get(reverse("lodging:search"))
    assert page.status_code == 200
    assert len(page.context["results"]) == counts[0]
