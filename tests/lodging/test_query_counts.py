"""Search, the lodging page and the guest's own pages run the same, small
number of SQL queries with 10 lodgings in the city as with 1,000."""

from datetime import time

import pytest
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from catalog.models import Seller
from lodging.models import Lodging, RoomType
from tests import factories
from tests.lodging.helpers import book, hold, stay_params

pytestmark = pytest.mark.django_db

MAX_QUERIES = 10
# A search page built afresh also reads the stays version and the running holds,
# checks that the replica has caught up and turns JIT off; cached, it is
# the version only.
MAX_BUILT_QUERIES = 14


def more_lodgings(count, *, district_):
    start = factories.next_number() * 10_000
    sellers = Seller.objects.bulk_create(
        Seller(kind="lodging", name_ko=f"숙소{start + i}", slug=f"bulk-{start + i}", district="중구역", address="-")
        for i in range(count)
    )
    lodgings = Lodging.objects.bulk_create(
        Lodging(seller=seller, slug=seller.slug, name_ko=seller.name_ko, district=district_, address="-",
                check_in_from=time(14), check_out_until=time(12), amenities=["wifi"])
        for seller in sellers
    )
    RoomType.objects.bulk_create(
        RoomType(lodging=lodging, name_ko=f"방{n}", base_rate=20_000 + n * 1000 + i, room_count=3)
        for i, lodging in enumerate(lodgings) for n in range(2)
    )


PAGES = [
    ("search", lambda c, r: (reverse("lodging:search"), stay_params(c.arrival, c.departure))),
    ("search by district", lambda c, r: (reverse("lodging:search"), {
        **stay_params(c.arrival, c.departure), "district": "jung", "amenities": "wifi", "sort": "rating"})),
    ("search by distance", lambda c, r: (reverse("lodging:search"), {
        **stay_params(c.arrival, c.departure), "near": "pothonggang", "sort": "distance"})),
    ("lodging", lambda c, r: (reverse("lodging:detail", args=["koryo"]), stay_params(c.arrival, c.departure))),
    ("reserve", lambda c, r: (reverse("lodging:reserve", args=["koryo", c.double.pk]),
                              stay_params(c.arrival, c.departure))),
    ("pay", lambda c, r: (reverse("lodging:pay", args=[r["held"]]), {})),
    ("reservations", lambda c, r: (reverse("lodging:reservations"), {})),
    ("reservation", lambda c, r: (reverse("lodging:reservation", args=[r["paid"]]), {})),
    ("confirmation", lambda c, r: (reverse("lodging:confirmation", args=[r["paid"]]), {})),
    ("cancel", lambda c, r: (reverse("lodging:cancel", args=[r["paid"]]), {})),
]


@pytest.mark.parametrize(("name", "page"), PAGES, ids=[name for name, _ in PAGES])
def test_the_query_count_does_not_grow_with_the_city(guest_client, city, name, page):
    more_lodgings(8, district_=city.centre)
    paid = book(guest_client, city.double, city.arrival, city.departure, card=city.card)
    hold(guest_client, city.inn_room, city.arrival, city.departure)
    codes = {"paid": paid.code, "held": city.guest.reservations.get(status="held").code}
    url, params = page(city, codes)

    def count() -> tuple[int, int]:
        """Queries of the page built afresh (the cache emptied), then from the cache."""
        guest_client.get(url, params)  # the session warmed up
        counts = []
        cache.clear()
        for _ in range(2):
            with CaptureQueriesContext(connection) as queries:
                assert guest_client.get(url, params).status_code == 200
            counts.append(len(queries))
        return tuple(counts)

    small = count()
    built, served = small
    assert built <= MAX_BUILT_QUERIES and served <= MAX_QUERIES
    more_lodgings(990, district_=city.centre)
    assert count() == small
