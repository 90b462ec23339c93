"""Load generated stays for benchmarks into the database named by
DATABASE_URL: 12 districts with their centres, 1,000 lodgings (each a
seller) with 5 room types each, weekend rates, and every room type's
counter for each of the next 365 nights, some rooms taken, some nights
full.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/okryu_bench python bench/load_lodging.py

Idempotent: if the lodgings are there already it says so and stops.
Deterministic (a fixed random seed). The 1,825,000 night counters go in
with PostgreSQL COPY, in one transaction with the rest, then VACUUM (ANALYZE).
"""

import io
import os
import random
import sys
import time
from datetime import time as clock
from datetime import timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "okryu.settings")
os.environ.setdefault("DB_STATEMENT_TIMEOUT", "0")
# The night counters are generated inside the transaction, between statements.
os.environ.setdefault("DB_IDLE_IN_TRANSACTION_TIMEOUT", "0")

from bench.load_catalog import _copy, _row  # noqa: E402  (after the path and settings above)

LODGINGS = 1_000
ROOM_TYPES = 5
NIGHTS = 365
SLUG_PREFIX = "bench-stay-"
DISTRICTS = [  # slug, ko, en, latitude, longitude (roughly Pyongyang's districts)
    ("jung", "중구역", "Central District", 39.031, 125.750),
    ("pyongchon", "평천구역", "Phyongchon District", 39.012, 125.724),
    ("pothonggang", "보통강구역", "Pothonggang District", 39.043, 125.730),
    ("moranbong", "모란봉구역", "Moranbong District", 39.052, 125.760),
    ("sosong", "서성구역", "Sosong District", 39.066, 125.738),
    ("songyo", "선교구역", "Sonkyo District", 39.014, 125.781),
    ("tongdaewon", "동대원구역", "Tongdaewon District", 39.027, 125.790),
    ("taedonggang", "대동강구역", "Taedonggang District", 39.033, 125.803),
    ("sadong", "사동구역", "Sadong District", 39.010, 125.843),
    ("taesong", "대성구역", "Taesong District", 39.077, 125.812),
    ("mangyongdae", "만경대구역", "Mangyongdae District", 39.000, 125.660),
    ("hyongjesan", "형제산구역", "Hyongjesan District", 39.100, 125.662),
]
ROOMS = [("일반방", "Standard room", 2, 12, 100), ("2인방", "Twin room", 3, 8, 120),
         ("가족방", "Family room", 5, 4, 170), ("독방", "Single room", 1, 6, 80), ("특실", "Suite", 2, 2, 260)]
AMENITIES = ["wifi", "breakfast", "restaurant", "parking", "pool", "sauna", "laundry", "heated_floor"]
NIGHT_COLUMNS = ("room_type_id", "night", "rooms", "taken")


def main() -> int:
    if not os.environ.get("DATABASE_URL"):
        print("Set DATABASE_URL to the benchmark database (see bench/README.md).", file=sys.stderr)
        return 2
    import django

    django.setup()
    from lodging.models import Lodging

    existing = Lodging.objects.filter(slug__startswith=SLUG_PREFIX).count()
    if existing >= LODGINGS:
        print(f"Benchmark stays already loaded ({existing:,} lodgings); nothing to do.")
        return 0
    if existing:
        print(f"A partial load ({existing:,} lodgings) is in the way: drop the database and run again.",
              file=sys.stderr)
        return 1
    started = time.monotonic()
    load()
    print(f"Loaded {LODGINGS:,} lodgings in {time.monotonic() - started:.1f} s.")
    return 0


def load() -> None:
    from django.db import connection, transaction
    from django.utils import timezone

    from catalog.models import Seller
    from delivery.models import District
    from lodging.models import DistrictCentre, Lodging, RateRule, RoomNight, RoomType

    rng = random.Random(20261201)
    today = timezone.localdate()
    with transaction.atomic():
        districts = []
        for slug, ko, en, latitude, longitude in DISTRICTS:
            district, _ = District.objects.get_or_create(slug=slug, defaults={"name_ko": ko, "name_en": en})
            DistrictCentre.objects.update_or_create(district=district, defaults={
                "latitude": latitude, "longitude": longitude})
            districts.append(district)
        sellers = [Seller(kind=Seller.Kind.LODGING, name_ko=f"시험숙소 {n}", name_en=f"Bench lodging {n}",
                          slug=f"{SLUG_PREFIX}{n}", district=districts[n % len(districts)].name_ko,
                          address=f"{n} 거리", rating=round(rng.uniform(2.5, 5), 2), rating_count=rng.randint(0, 300))
                   for n in range(LODGINGS)]
        for seller in sellers:
            seller.fill_search_columns()
        sellers = Seller.objects.bulk_create(sellers)
        lodgings = Lodging.objects.bulk_create(
            Lodging(seller=seller, kind="hotel" if n % 3 else "inn", slug=seller.slug, name_ko=seller.name_ko,
                    name_en=seller.name_en, district=districts[n % len(districts)], address=seller.address,
                    check_in_from=clock(14), check_out_until=clock(12),
                    amenities=sorted(rng.sample(AMENITIES, rng.randint(1, 5))))
            for n, seller in enumerate(sellers)
        )
        rooms = RoomType.objects.bulk_create(
            RoomType(lodging=lodging, name_ko=ko, name_en=en, max_guests=most, included_guests=min(most, 2),
                     extra_guest_rate=10_000, room_count=count, base_rate=rate * share // 100)
            for lodging, rate in ((lodging, rng.randint(20, 120) * 1000) for lodging in lodgings)
            for ko, en, most, count, share in ROOMS
        )
        RateRule.objects.bulk_create(
            RateRule(room_type=room, starts_on=today, ends_on=today + timedelta(days=NIGHTS), weekdays=[5, 6],
                     nightly_rate=room.base_rate * 6 // 5)
            for room in rooms
        )
        nights = io.StringIO()
        for room in rooms:
            for n in range(NIGHTS):
                # Most nights have rooms free; about one in twenty is full.
                taken = room.room_count if rng.random() < 0.05 else rng.randint(0, room.room_count - 1)
                _row(nights, [room.pk, (today + timedelta(days=n)).isoformat(), room.room_count, taken])
        _copy(connection, RoomNight, NIGHT_COLUMNS, nights)
        print(f"  {len(rooms):,} room types, {len(rooms) * NIGHTS:,} night counters", flush=True)
    with connection.cursor() as cursor:
        cursor.execute("VACUUM (ANALYZE)")  # as bench/load_catalog.py does, for the same reasons


if __name__ == "__main__":
    sys.exit(main())
