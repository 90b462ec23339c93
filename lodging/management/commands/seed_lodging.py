"""Load the demo stays: the city's well-known hotels and a few inns, each
a seller with room types, pictures, weekend and summer rates, and a front
desk account for the Koryo Hotel. Needs seed_demo's districts; running it
again changes nothing."""

from datetime import date, time

from django.apps import apps
from django.contrib.auth import get_user_model
from django.core.files.base import ContentFile
from django.core.management.base import BaseCommand
from django.db import transaction
from django.utils import timezone

from catalog.models import Seller
from catalog.services import store_image
from delivery.models import District
from lodging.cache import bump_version
from lodging.models import DistrictCentre, Lodging, RateRule, RoomType
from lodging.roles import ensure_front_desk_group
from okryu.demo_images import product_picture

DEMO_PASSWORD = "okryu-demo"

LODGINGS = [
    # slug, kind, ko, en, district slug, address, amenities, base rate, policy (free days, late %, no-show %)
    ("koryo", "hotel", "고려호텔", "Koryo Hotel", "jung", "중구역 동흥동", ["wifi", "breakfast", "restaurant", "sauna"],
     90_000, (3, 50, 100)),
    ("yanggakdo", "hotel", "양각도국제호텔", "Yanggakdo International Hotel", "jung", "중구역 양각도",
     ["wifi", "breakfast", "restaurant", "pool", "sauna", "parking"], 110_000, (7, 50, 100)),
    ("haebangsan", "hotel", "해방산호텔", "Haebangsan Hotel", "jung", "중구역 해방산동", ["breakfast", "restaurant"],
     60_000, (2, 30, 80)),
    ("changgwangsan", "hotel", "창광산호텔", "Changgwangsan Hotel", "jung", "중구역 창광거리",
     ["wifi", "restaurant", "laundry"], 70_000, (3, 50, 100)),
    ("potonggang", "hotel", "보통강호텔", "Potonggang Hotel", "pothonggang", "보통강구역 붉은거리",
     ["wifi", "breakfast", "restaurant", "pool", "parking"], 95_000, (5, 40, 100)),
    ("sosan", "hotel", "서산호텔", "Sosan Hotel", "sosong", "서성구역 서산동", ["breakfast", "parking", "sauna"],
     55_000, (2, 50, 100)),
    ("moranbong-inn", "inn", "모란봉려관", "Moranbong Inn", "moranbong", "모란봉구역 개선동",
     ["heated_floor", "breakfast"], 30_000, (1, 50, 100)),
    ("taedonggang-inn", "inn", "대동강려관", "Taedonggang Inn", "taedonggang", "대동강구역 문수동",
     ["heated_floor", "laundry"], 28_000, (1, 30, 50)),
    ("mangyongdae-inn", "inn", "만경대려관", "Mangyongdae Inn", "mangyongdae", "만경대구역 광복거리",
     ["heated_floor", "parking"], 25_000, (2, 50, 100)),
]

# The districts' centres, roughly (latitude, longitude), for sorting by distance.
CENTRES = {
    "jung": (39.031, 125.750), "pyongchon": (39.012, 125.724), "pothonggang": (39.043, 125.730),
    "moranbong": (39.052, 125.760), "sosong": (39.066, 125.738), "songyo": (39.014, 125.781),
    "tongdaewon": (39.027, 125.790), "taedonggang": (39.033, 125.803), "sadong": (39.010, 125.843),
    "taesong": (39.077, 125.812), "mangyongdae": (39.000, 125.660), "hyongjesan": (39.100, 125.662),
}

ROOMS = [
    # ko, en, beds, most guests, included, rooms, share of the base rate (%), extra guest (won)
    ("일반방", "Standard room", 1, 2, 2, 12, 100, 0),
    ("2인방", "Twin room", 2, 3, 2, 8, 120, 15_000),
    ("가족방", "Family room", 3, 5, 3, 4, 170, 12_000),
    ("특실", "Suite", 1, 2, 2, 2, 260, 0),
]
INN_ROOMS = [
    ("온돌방", "Ondol room", 0, 4, 2, 5, 100, 8_000),
    ("독방", "Single room", 1, 1, 1, 3, 80, 0),
]


class Command(BaseCommand):
    help = "Load the demo hotels and inns (idempotent; run after seed_demo)."

    @transaction.atomic
    def handle(self, *args, **options):
        bump_version()
        districts = {district.slug: district for district in District.objects.all()}
        today = timezone.localdate()
        for slug, (latitude, longitude) in CENTRES.items():
            if slug in districts:
                DistrictCentre.objects.update_or_create(district=districts[slug], defaults={
                    "latitude": latitude, "longitude": longitude})
        for slug, kind, ko, en, district, address, amenities, rate, (days, percent, no_show) in LODGINGS:
            seller, _ = Seller.objects.update_or_create(slug=slug, defaults={
                "kind": Seller.Kind.LODGING, "name_ko": ko, "name_en": en, "district": districts[district].name_ko,
                "address": address,
            })
            lodging, _ = Lodging.objects.update_or_create(slug=slug, defaults={
                "seller": seller, "kind": kind, "name_ko": ko, "name_en": en, "district": districts[district],
                "address": address, "amenities": amenities,
                "description_ko": f"{ko}는 평양의 이름난 숙소입니다. 깨끗한 방과 친절한 봉사로 손님들을 맞이합니다.",
                "description_en": f"{en} is one of Pyongyang's well-known places to stay: clean rooms, kind service.",
                "house_rules_ko": "객실에서 담배를 피우지 마십시오. 밤 11시 이후에는 조용히 하여 주십시오.",
                "house_rules_en": "No smoking in the rooms. Quiet after 11 at night.",
                "check_in_from": time(14), "check_out_until": time(12),
                "free_cancel_days": days, "cancel_percent": percent, "no_show_percent": no_show,
            })
            self.picture(lodging, "hotel", slug)
            rooms = ROOMS if kind == "hotel" else INN_ROOMS
            for room_ko, room_en, beds, most, included, count, share, extra in rooms:
                room, _ = RoomType.objects.update_or_create(lodging=lodging, name_en=room_en, defaults={
                    "name_ko": room_ko, "beds": beds, "max_guests": most, "included_guests": included,
                    "room_count": count, "base_rate": rate * share // 100, "extra_guest_rate": extra,
                    "max_stay": 30,
                })
                self.picture(room, "room", f"{slug}-{room_en}")
                self.rates(room, today)
        self.front_desk(Lodging.objects.get(slug="koryo"))
        self.stdout.write(self.style.SUCCESS(
            f"Stays ready: {Lodging.objects.count()} lodgings, {RoomType.objects.count()} room types."
        ))

    def picture(self, row, motif: str, seed: str) -> None:
        if not row.thumbnails:
            # Stored through the image service like an upload.
            picture = ContentFile(product_picture(motif, seed, size=640), name=f"{seed}.jpg")
            store_image(row=row, field="image", file=picture, folder="lodging")

    def rates(self, room: RoomType, today: date) -> None:
        """Friday and Saturday nights a fifth dearer all year; summer a tenth
        dearer, the weekend rule above it."""
        for year in (today.year, today.year + 1):
            RateRule.objects.get_or_create(
                room_type=room, starts_on=date(year, 7, 15), ends_on=date(year, 8, 31), weekdays=[],
                defaults={"nightly_rate": room.base_rate * 110 // 100, "priority": 0},
            )
        RateRule.objects.get_or_create(
            room_type=room, starts_on=date(today.year, 1, 1), ends_on=date(today.year + 1, 12, 31), weekdays=[5, 6],
            defaults={"nightly_rate": room.base_rate * 120 // 100, "priority": 1},
        )

    def front_desk(self, lodging: Lodging) -> None:
        clerk, created = get_user_model().objects.get_or_create(username="frontdesk", defaults={
            "first_name": "고려호텔 접수원", "is_staff": True,
        })
        if created:
            clerk.set_password(DEMO_PASSWORD)
            clerk.save()
        clerk.groups.add(ensure_front_desk_group(apps))
        lodging.seller.staff.add(clerk)
