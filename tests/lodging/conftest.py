"""A small city of stays: a hotel with two room types (the cheaper one has
a single room), an inn in another district, and a guest with a funded card."""

import re
from datetime import time, timedelta

import pytest
from django.utils import timezone

from lodging.models import Lodging, RoomType
from tests import factories


def lodging(*, district_, seller_=None, **fields):
    n = factories.next_number()
    defaults = {
        "slug": f"hotel-{n}", "name_ko": f"호텔{n}", "name_en": f"Hotel {n}", "address": f"{n} 거리",
        "check_in_from": time(14), "check_out_until": time(12), "free_cancel_days": 3, "cancel_percent": 50,
        "no_show_percent": 100,
    }
    return Lodging.objects.create(
        seller=seller_ or factories.seller(kind="store"), district=district_, **{**defaults, **fields}
    )


def room_type(*, lodging_, **fields):
    n = factories.next_number()
    defaults = {"name_ko": f"방{n}", "name_en": f"Room {n}", "base_rate": 50_000, "room_count": 3,
                "max_guests": 2, "included_guests": 2}
    return RoomType.objects.create(lodging=lodging_, **{**defaults, **fields})


def token_of(response) -> str:
    return re.search(r'name="token" value="([0-9a-f-]+)"', response.content.decode()).group(1)


@pytest.fixture
def city(db):
    class City:
        pass

    c = City()
    c.today = timezone.localdate()
    c.centre = factories.district(slug="jung", name_ko="중구역", name_en="Central District")
    c.riverside = factories.district(slug="pothonggang", name_ko="보통강구역", name_en="Pothonggang District")
    c.hotel = lodging(district_=c.centre, slug="koryo", name_ko="고려호텔", name_en="Koryo Hotel",
                      amenities=["wifi", "restaurant"])
    c.single = room_type(lodging_=c.hotel, name_en="Single", base_rate=40_000, room_count=1, max_guests=1,
                         included_guests=1)
    c.double = room_type(lodging_=c.hotel, name_en="Double", base_rate=60_000, room_count=5, max_guests=3,
                         extra_guest_rate=10_000)
    c.inn = lodging(district_=c.riverside, slug="inn", name_ko="려관", name_en="Riverside Inn", kind="inn")
    c.inn_room = room_type(lodging_=c.inn, name_en="Inn room", base_rate=30_000, room_count=2)
    c.guest = factories.user("guest")
    c.card = factories.card(owner=c.guest, balance=2_000_000)
    c.arrival = c.today + timedelta(days=10)
    c.departure = c.arrival + timedelta(days=2)
    return c


@pytest.fixture
def guest_client(client, city):
    client.force_login(city.guest)
    return client
