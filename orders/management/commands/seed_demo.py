"""Load the demo storefront: sellers, categories, products and offers,
a few weeks of price history, Pyongyang districts, transport services with
a week of slots, couriers, e-cards and the demo accounts. Running it again
changes nothing."""

from datetime import datetime, time, timedelta

from django.apps import apps as django_apps
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.files.base import ContentFile
from django.core.management import call_command
from django.core.management.base import BaseCommand
from django.db import transaction
from django.utils import timezone

from catalog.models import (
    Attribute,
    AttributeChoice,
    Category,
    Offer,
    OpeningHours,
    PriceChange,
    Product,
    ProductAttributeValue,
    ProductMedia,
    Seller,
)
from catalog.services import add_recording, refresh_product_summaries, set_offer_prices, store_product_image
from delivery.models import Courier, District, ServiceArea, TimeSlot, TransportService
from okryu.demo_clips import video_clip, voice_clip
from okryu.demo_images import product_picture
from okryu.luhn import with_check_digit
from orders.roles import ensure_pharmacist_group
from payments import services as payment_services
from payments.models import Card
from payments.numbers import number_hash

DEMO_PASSWORD = "okryu-demo"
DEMO_PIN = "1234"

DISTRICTS = [
    ("jung", "중구역", "Central District"), ("pyongchon", "평천구역", "Phyongchon District"),
    ("pothonggang", "보통강구역", "Pothonggang District"), ("moranbong", "모란봉구역", "Moranbong District"),
    ("sosong", "서성구역", "Sosong District"), ("songyo", "선교구역", "Sonkyo District"),
    ("tongdaewon", "동대원구역", "Tongdaewon District"), ("taedonggang", "대동강구역", "Taedonggang District"),
    ("sadong", "사동구역", "Sadong District"), ("taesong", "대성구역", "Taesong District"),
    ("mangyongdae", "만경대구역", "Mangyongdae District"), ("hyongjesan", "형제산구역", "Hyongjesan District"),
]

SELLERS = [
    # slug, kind, ko, en, district, address
    ("okryukwan", "restaurant", "옥류관", "Okryukwan Restaurant", "중구역", "중구역 옥류동 1"),
    ("chongryugwan", "restaurant", "청류관", "Chongryugwan Restaurant", "보통강구역", "보통강구역 보통강동 12"),
    ("pomhyanggi", "factory", "봄향기화장품공장", "Pomhyanggi Cosmetics Factory", "서성구역", "서성구역 서성동 45"),
    ("pyongyang-pharma", "factory", "평양제약공장", "Pyongyang Pharmaceutical Factory", "선교구역", "선교구역 산업동 7"),
    ("ryuwon-shoes", "factory", "류원신발공장", "Ryuwon Footwear Factory", "평천구역", "평천구역 안산동 3"),
    ("pyongyang-bags", "factory", "평양가방공장", "Pyongyang Bag Factory", "동대원구역", "동대원구역 신리동 21"),
    ("kwangbok", "store", "광복지구상업중심", "Kwangbok Area Supermarket", "만경대구역", "만경대구역 광복거리 1"),
    ("taesong-store", "store", "대성백화점", "Taesong Department Store", "중구역", "중구역 승리거리 5"),
    ("pothonggang-store", "store", "보통강식료품상점", "Pothonggang Grocery", "보통강구역", "보통강구역 류경동 9"),
]

CATEGORIES = [
    # slug, parent slug, ko, en
    ("food", None, "식료품", "Food and groceries"),
    ("grains-noodles", "food", "곡물·국수", "Grains and noodles"),
    ("sauces", "food", "장·양념", "Sauces and seasonings"),
    ("snacks-drinks", "food", "과자·음료", "Snacks and drinks"),
    ("cosmetics", None, "화장품", "Cosmetics"),
    ("skincare", "cosmetics", "기초화장품", "Skincare"),
    ("soap", "cosmetics", "비누·세정제", "Soap and cleansers"),
    ("medicine", None, "의약품·의료용품", "Medicine and medical supplies"),
    ("medicines", "medicine", "의약품", "Medicines"),
    ("supplies", "medicine", "의료용품", "Medical supplies"),
    ("shoes-bags", None, "신발·가방", "Shoes and bags"),
    ("shoes", "shoes-bags", "신발", "Shoes"),
    ("bags", "shoes-bags", "가방", "Bags"),
    ("dishes", None, "료리", "Restaurant dishes"),
    ("noodle-dishes", "dishes", "국수", "Noodle dishes"),
    ("meat-dishes", "dishes", "고기료리", "Meat dishes"),
]

# What products are, filterable on the category and search pages:
# code, kind, unit, ko, en, the top categories it applies to, [(choice code, ko, en)]
ATTRIBUTES = [
    ("weight", "number", "g", "무게", "Weight", ["food", "cosmetics", "medicine"], []),
    ("volume", "number", "ml", "용량", "Volume", ["food", "cosmetics", "medicine"], []),
    ("size", "text", "", "크기", "Size", ["shoes-bags"], []),
    ("pack", "text", "", "포장단위", "Pack", ["medicine"], []),
    ("spiciness", "choice", "", "매운 정도", "Spiciness", ["dishes"],
     [("mild", "순한맛", "Mild"), ("medium", "보통맛", "Medium"), ("hot", "매운맛", "Hot")]),
    ("dosage-form", "choice", "", "약의 형태", "Dosage form", ["medicine"],
     [("tablet", "알약", "Tablet"), ("capsule", "교갑", "Capsule"), ("liquid", "물약", "Liquid"),
      ("injection", "주사약", "Injection")]),
]

# slug, category, ko, en, motif, {attribute code: value}, fresh minutes, [(seller, price, stock)]
# Short clips made on the spot (okryu.demo_clips): product slug, kind, file
# name, caption, transcript and captions in Korean and English.
RECORDINGS = [
    ("pyongyang-raengmyon", ProductMedia.Kind.VIDEO, "raengmyon.mp4",
     ("옥류관 랭면이 나오기까지", "How Okryukwan's cold noodles are made"),
     ("메밀국수를 눌러 찬 육수에 담고 고명을 얹습니다.", "Buckwheat noodles are pressed, laid in cold broth and topped."),
     ("00:00.000 --> 00:01.500\n메밀국수를 눌러 뽑습니다.\n\n00:01.500 --> 00:03.000\n찬 육수에 담습니다.",
      "00:00.000 --> 00:01.500\nThe buckwheat noodles are pressed.\n\n00:01.500 --> 00:03.000\n"
      "They are laid in cold broth.")),
    ("taedonggang-beer", ProductMedia.Kind.VIDEO, "beer.mp4",
     ("대동강맥주공장에서", "At the Taedonggang brewery"),
     ("보리와 흰쌀로 빚은 맥주를 병에 넣습니다.", "Beer brewed from barley and rice is bottled."),
     ("00:00.000 --> 00:03.000\n보리와 흰쌀로 빚은 맥주입니다.",
      "00:00.000 --> 00:03.000\nBeer brewed from barley and rice.")),
    ("insam-tea", ProductMedia.Kind.AUDIO, "insam-tea.wav",
     ("인삼차를 우리는 법", "How to make ginseng tea"),
     ("더운 물 한컵에 인삼차 한숟가락을 풀어 3분 동안 우려 마십시오.",
      "Stir a spoonful of ginseng tea into a cup of hot water, leave it three minutes and drink."),
     None),
]

PRODUCTS = [
    ("pyongyang-raengmyon", "noodle-dishes", "평양랭면", "Pyongyang cold noodles (naengmyeon)", "noodles", {"spiciness": "mild"}, 45,
     [("okryukwan", 3000, 200), ("chongryugwan", 2800, 150)]),
    ("bibim-raengmyon", "noodle-dishes", "비빔랭면", "Spicy mixed cold noodles", "noodles", {"spiciness": "hot"}, 45,
     [("okryukwan", 3200, 120), ("chongryugwan", 3100, 80)]),
    ("jaengban-guksu", "noodle-dishes", "쟁반국수", "Platter noodles", "noodles", {"spiciness": "medium"}, 45,
     [("okryukwan", 5500, 60)]),
    ("onban", "noodle-dishes", "온반", "Hot rice in chicken broth (onban)", "noodles", {"spiciness": "mild"}, 40,
     [("chongryugwan", 2500, 90)]),
    ("mandu-guk", "noodle-dishes", "만두국", "Dumpling soup", "noodles", {"spiciness": "mild"}, 40,
     [("okryukwan", 2600, 100), ("chongryugwan", 2400, 100)]),
    ("sogogi-gukbap", "meat-dishes", "소고기국밥", "Beef soup with rice", "noodles", {"spiciness": "medium"}, 40,
     [("okryukwan", 4200, 70)]),
    ("tubu-bap", "meat-dishes", "두부밥", "Stuffed tofu rice (tubu-bap)", "food", {"spiciness": "medium"}, 60,
     [("chongryugwan", 1500, 120)]),
    ("daedonggang-sungeo", "meat-dishes", "대동강숭어국", "Taedong River mullet soup", "noodles", {"spiciness": "mild"}, 40,
     [("okryukwan", 6800, 40)]),
    ("raengmyon-dry", "grains-noodles", "마른 랭면국수", "Dried naengmyeon noodles", "food", {"weight": 500}, None,
     [("kwangbok", 1200, 300), ("taesong-store", 1150, 200), ("pothonggang-store", 1250, 150)]),
    ("white-rice", "grains-noodles", "흰쌀", "White rice", "food", {"weight": 5000}, None,
     [("kwangbok", 9500, 120), ("pothonggang-store", 9200, 80)]),
    ("corn-noodles", "grains-noodles", "강냉이국수", "Corn noodles", "food", {"weight": 1000}, None,
     [("kwangbok", 1800, 140), ("taesong-store", 1900, 60)]),
    ("potato-starch-noodles", "grains-noodles", "감자농마국수", "Potato starch noodles", "food", {"weight": 500}, None,
     [("pothonggang-store", 1600, 90)]),
    ("buckwheat-flour", "grains-noodles", "메밀가루", "Buckwheat flour", "food", {"weight": 1000}, None,
     [("kwangbok", 2200, 70), ("taesong-store", 2100, 40)]),
    ("soybean-paste", "sauces", "된장", "Soybean paste (doenjang)", "food", {"weight": 1000}, None,
     [("kwangbok", 2400, 100), ("pothonggang-store", 2300, 50)]),
    ("red-pepper-paste", "sauces", "고추장", "Red pepper paste", "food", {"weight": 500}, None,
     [("kwangbok", 2100, 100), ("taesong-store", 2250, 90)]),
    ("soy-sauce", "sauces", "간장", "Soy sauce", "food", {"volume": 900}, None,
     [("kwangbok", 1500, 200), ("taesong-store", 1450, 120), ("pothonggang-store", 1550, 90)]),
    ("sesame-oil", "sauces", "참기름", "Sesame oil", "food", {"volume": 300}, None,
     [("taesong-store", 4800, 60)]),
    ("kimchi", "sauces", "배추김치", "Cabbage kimchi", "food", {"weight": 2000}, None,
     [("kwangbok", 5200, 80), ("pothonggang-store", 4900, 40)]),
    ("taedonggang-beer", "snacks-drinks", "대동강맥주", "Taedonggang beer", "food", {"volume": 640}, None,
     [("kwangbok", 1100, 400), ("taesong-store", 1050, 300), ("pothonggang-store", 1150, 200)]),
    ("sindok-water", "snacks-drinks", "신덕샘물", "Sindok spring water", "food", {"volume": 1500}, None,
     [("kwangbok", 600, 500), ("pothonggang-store", 550, 300)]),
    ("ryongaksan-water", "snacks-drinks", "룡악산샘물", "Ryongaksan spring water", "food", {"volume": 500}, None,
     [("taesong-store", 400, 300)]),
    ("insam-tea", "snacks-drinks", "인삼차", "Ginseng tea", "food", {"weight": 100}, None,
     [("taesong-store", 3500, 80), ("kwangbok", 3700, 50)]),
    ("rice-crackers", "snacks-drinks", "쌀과자", "Rice crackers", "food", {"weight": 200}, None,
     [("kwangbok", 900, 200), ("pothonggang-store", 850, 150)]),
    ("pine-nut-candy", "snacks-drinks", "잣엿", "Pine nut candy", "food", {"weight": 150}, None,
     [("taesong-store", 1600, 90)]),
    ("omija-juice", "snacks-drinks", "오미자단물", "Omija berry juice", "food", {"volume": 500}, None,
     [("kwangbok", 1300, 120), ("taesong-store", 1250, 70)]),
    ("apple-juice", "snacks-drinks", "사과단물", "Apple juice", "food", {"volume": 1000}, None,
     [("pothonggang-store", 1700, 60)]),
    ("pomhyanggi-skin", "skincare", "봄향기 살결물", "Pomhyanggi skin toner", "cosmetics", {"volume": 150}, None,
     [("pomhyanggi", 6500, 120), ("taesong-store", 6900, 40)]),
    ("pomhyanggi-cream", "skincare", "봄향기 영양크림", "Pomhyanggi nourishing cream", "cosmetics", {"volume": 50}, None,
     [("pomhyanggi", 8800, 100), ("taesong-store", 9200, 30)]),
    ("insam-cream", "skincare", "인삼크림", "Ginseng cream", "cosmetics", {"volume": 50}, None,
     [("pomhyanggi", 12000, 60)]),
    ("sun-cream", "skincare", "해빛차단크림", "Sun cream", "cosmetics", {"volume": 60}, None,
     [("pomhyanggi", 5400, 80), ("kwangbok", 5600, 30)]),
    ("lip-balm", "skincare", "입술연고", "Lip balm", "cosmetics", {"weight": 10}, None,
     [("pomhyanggi", 1800, 150)]),
    ("hand-cream", "skincare", "손크림", "Hand cream", "cosmetics", {"volume": 80}, None,
     [("pomhyanggi", 2600, 120), ("kwangbok", 2500, 60)]),
    ("insam-soap", "soap", "인삼비누", "Ginseng soap", "cosmetics", {"weight": 120}, None,
     [("pomhyanggi", 1400, 300), ("kwangbok", 1350, 200), ("taesong-store", 1450, 100)]),
    ("laundry-soap", "soap", "빨래비누", "Laundry soap", "cosmetics", {"weight": 300}, None,
     [("kwangbok", 800, 400), ("pothonggang-store", 780, 200)]),
    ("shampoo", "soap", "머리비누", "Shampoo", "cosmetics", {"volume": 400}, None,
     [("pomhyanggi", 3200, 100), ("taesong-store", 3300, 60)]),
    ("toothpaste", "soap", "치약", "Toothpaste", "cosmetics", {"weight": 150}, None,
     [("kwangbok", 900, 300), ("taesong-store", 950, 200)]),
    ("cold-tablets", "medicines", "감기약", "Cold tablets", "medicine", {"pack": "20정", "dosage-form": "tablet"}, None,
     [("pyongyang-pharma", 1800, 200), ("taesong-store", 1900, 50)]),
    ("digestive", "medicines", "소화제", "Digestive tablets", "medicine", {"pack": "30정", "dosage-form": "tablet"}, None,
     [("pyongyang-pharma", 1500, 200)]),
    ("kumdang-2", "medicines", "금당-2 주사약", "Kumdang-2 tonic", "medicine", {"volume": 10, "dosage-form": "injection"}, None,
     [("pyongyang-pharma", 9500, 40)]),
    ("painkiller", "medicines", "진통제", "Pain relief tablets", "medicine", {"pack": "10정", "dosage-form": "tablet"}, None,
     [("pyongyang-pharma", 1200, 250), ("kwangbok", 1300, 60)]),
    ("vitamin-c", "medicines", "비타민C", "Vitamin C", "medicine", {"pack": "60알", "dosage-form": "capsule"}, None,
     [("pyongyang-pharma", 2800, 150), ("taesong-store", 2950, 40)]),
    ("insam-extract", "medicines", "고려인삼정", "Koryo ginseng extract", "medicine", {"weight": 100, "dosage-form": "liquid"}, None,
     [("pyongyang-pharma", 15000, 30)]),
    ("bandages", "supplies", "붕대", "Bandages", "medicine", {"pack": "5m"}, None,
     [("pyongyang-pharma", 700, 300), ("kwangbok", 750, 100)]),
    ("plasters", "supplies", "반창고", "Sticking plasters", "medicine", {"pack": "30매"}, None,
     [("pyongyang-pharma", 600, 400), ("taesong-store", 650, 100)]),
    ("thermometer", "supplies", "체온계", "Thermometer", "medicine", {}, None,
     [("pyongyang-pharma", 4200, 50)]),
    ("face-masks", "supplies", "마스크", "Face masks", "medicine", {"pack": "10매"}, None,
     [("pyongyang-pharma", 1100, 500), ("kwangbok", 1000, 300), ("taesong-store", 1150, 150)]),
    ("disinfectant", "supplies", "소독약", "Disinfectant", "medicine", {"volume": 250}, None,
     [("pyongyang-pharma", 1400, 120)]),
    ("ryuwon-sneakers", "shoes", "류원운동신발", "Ryuwon sports shoes", "shoes", {"size": "230–280"}, None,
     [("ryuwon-shoes", 18000, 80), ("taesong-store", 19500, 20)]),
    ("leather-shoes", "shoes", "가죽구두", "Leather shoes", "shoes", {"size": "240–280"}, None,
     [("ryuwon-shoes", 32000, 40)]),
    ("women-shoes", "shoes", "녀자구두", "Women's shoes", "shoes", {"size": "220–250"}, None,
     [("ryuwon-shoes", 26000, 50), ("taesong-store", 27500, 15)]),
    ("children-shoes", "shoes", "어린이신발", "Children's shoes", "shoes", {"size": "150–210"}, None,
     [("ryuwon-shoes", 9000, 90), ("kwangbok", 9500, 30)]),
    ("winter-boots", "shoes", "겨울장화", "Winter boots", "shoes", {"size": "230–280"}, None,
     [("ryuwon-shoes", 28000, 35)]),
    ("slippers", "shoes", "실내신", "Slippers", "shoes", {"size": "230–270"}, None,
     [("ryuwon-shoes", 3500, 150), ("kwangbok", 3300, 80)]),
    ("school-bag", "bags", "학생가방", "School bag", "bags", {"size": "30×40cm"}, None,
     [("pyongyang-bags", 14000, 100), ("taesong-store", 15000, 30)]),
    ("handbag", "bags", "손가방", "Handbag", "bags", {"size": "25×30cm"}, None,
     [("pyongyang-bags", 21000, 40)]),
    ("travel-bag", "bags", "려행가방", "Travel bag", "bags", {"size": "50×35cm"}, None,
     [("pyongyang-bags", 35000, 25)]),
    ("shopping-bag", "bags", "장바구니", "Shopping bag", "bags", {}, None,
     [("pyongyang-bags", 2500, 200), ("kwangbok", 2400, 100)]),
    ("briefcase", "bags", "서류가방", "Briefcase", "bags", {"size": "30×42cm"}, None,
     [("pyongyang-bags", 29000, 30)]),
    ("backpack", "bags", "배낭", "Backpack", "bags", {"size": "35L"}, None,
     [("pyongyang-bags", 17000, 60), ("taesong-store", 18000, 20)]),
    ("wallet", "bags", "지갑", "Wallet", "bags", {}, None,
     [("pyongyang-bags", 6000, 80)]),
]

FEATURED = {"pyongyang-raengmyon", "pomhyanggi-cream", "ryuwon-sneakers", "taedonggang-beer", "insam-soap",
            "school-bag", "cold-tablets", "kimchi"}

# Prices that changed in the weeks before the demo starts, oldest first:
# (days ago, product, seller, new price); the table above has the prices
# they started from. Pyongyang cold noodles' cheapest falls 2,800 → 2,500
# three days ago; sauces and skincare get dearer; Kwangbok cuts the most.
PRICE_HISTORY = [
    (62, "pyongyang-raengmyon", "chongryugwan", 2900),
    (50, "white-rice", "pothonggang-store", 9000),
    (44, "insam-soap", "kwangbok", 1300),
    (36, "pyongyang-raengmyon", "chongryugwan", 2800),
    (33, "ryuwon-sneakers", "taesong-store", 18500),
    (27, "soybean-paste", "pothonggang-store", 2500),
    (25, "taedonggang-beer", "kwangbok", 1000),
    (21, "pomhyanggi-cream", "pomhyanggi", 9400),
    (18, "face-masks", "kwangbok", 950),
    (16, "pyongyang-raengmyon", "okryukwan", 3100),
    (14, "kimchi", "pothonggang-store", 5100),
    (12, "red-pepper-paste", "kwangbok", 2300),
    (10, "taedonggang-beer", "taesong-store", 990),
    (8, "sun-cream", "kwangbok", 5300),
    (6, "insam-tea", "taesong-store", 3300),
    (3, "pyongyang-raengmyon", "chongryugwan", 2500),
    (2, "soy-sauce", "taesong-store", 1400),
]
# A seller's staff, who sees the seller's standing in the admin.
SELLER_STAFF = ("kwangbok-clerk", "한순희", "kwangbok")

SERVICES = [
    # ko, en, vehicle, slot minutes, capacity, fee by district (base, step)
    ("급송봉사대", "Express motorbike service", "motorbike", 30, 6, 1000),
    ("화물수송사업소", "Goods van service", "van", 120, 12, 700),
]

DEMO_CARD = with_check_digit("940800000000000")


class Command(BaseCommand):
    help = "Load the demo storefront (idempotent)."

    @transaction.atomic
    def handle(self, *args, **options):
        districts = self.districts()
        sellers = self.sellers()
        self.catalogue(sellers)
        services = self.services(districts)
        self.slots(services)
        staff = self.accounts(services, sellers)
        self.price_history(staff)
        # The stays live in their own app; its command is called by name.
        call_command("seed_lodging", stdout=self.stdout)
        self.stdout.write(self.style.SUCCESS(
            f"Demo data ready: {Product.objects.count()} products, {Seller.objects.count()} sellers, "
            f"{TimeSlot.objects.filter(starts_at__gte=timezone.now()).count()} open slots."
        ))

    def districts(self):
        return [
            District.objects.update_or_create(slug=slug, defaults={"name_ko": ko, "name_en": en})[0]
            for slug, ko, en in DISTRICTS
        ]

    def sellers(self):
        sellers = {}
        for slug, kind, ko, en, district, address in SELLERS:
            sellers[slug], _ = Seller.objects.update_or_create(slug=slug, defaults={
                "kind": kind, "name_ko": ko, "name_en": en, "district": district, "address": address,
                "description_ko": f"{ko} — 평양의 {dict(Seller.Kind.choices)[kind]}.",
                "description_en": f"{en}, Pyongyang.",
            })
            if kind == "restaurant":
                for weekday in OpeningHours.Weekday.values:
                    OpeningHours.objects.get_or_create(seller=sellers[slug], weekday=weekday, opens_at=time(11),
                                                       defaults={"closes_at": time(22)})
        return sellers

    def catalogue(self, sellers):
        categories = {}
        for position, (slug, parent, ko, en) in enumerate(CATEGORIES):
            categories[slug], _ = Category.objects.update_or_create(slug=slug, defaults={
                "parent": categories.get(parent), "name_ko": ko, "name_en": en, "position": position,
            })
        attributes = self.attributes(categories)
        for slug, category, ko, en, motif, values, fresh, offers in PRODUCTS:
            product, created = Product.objects.update_or_create(slug=slug, defaults={
                "category": categories[category], "name_ko": ko, "name_en": en,
                "description_ko": f"{ko}. 국내에서 만든 질좋은 제품입니다.",
                "description_en": f"{en}. Made here, of good quality.",
                "fresh_minutes": fresh, "is_featured": slug in FEATURED,
            })
            # Exactly the values of the table: a value from an older seed goes.
            product.attribute_values.exclude(attribute__code__in=values).delete()
            for code, raw in values.items():
                ProductAttributeValue.objects.update_or_create(
                    product=product, attribute=attributes[code], defaults=attributes[code].value_from_text(str(raw)))
            if not product.thumbnails:
                # Stored through the service like an upload: re-encoded, thumbnails written once.
                picture = ContentFile(product_picture(motif, slug, size=640), name=f"{slug}.jpg")
                store_product_image(product=product, file=picture)
            for seller, price, stock in offers:
                Offer.objects.get_or_create(
                    product=product, seller=sellers[seller], defaults={"price": price, "stock": stock}
                )
        # The medicine rules: an injection needs a prescription; pain relief is capped.
        Product.objects.filter(slug="kumdang-2").update(prescription_only=True)
        Product.objects.filter(slug="painkiller").update(limit_units=2, limit_days=7)
        refresh_product_summaries(product_ids=Product.objects.values_list("pk", flat=True))
        self.recordings()

    def attributes(self, categories):
        attributes = {}
        for position, (code, kind, unit, ko, en, tops, choices) in enumerate(ATTRIBUTES):
            attributes[code], _ = Attribute.objects.update_or_create(code=code, defaults={
                "kind": kind, "unit": unit, "name_ko": ko, "name_en": en, "position": position})
            attributes[code].categories.set([categories[top] for top in tops])
            for choice_position, (choice, choice_ko, choice_en) in enumerate(choices):
                AttributeChoice.objects.update_or_create(attribute=attributes[code], code=choice, defaults={
                    "label_ko": choice_ko, "label_en": choice_en, "position": choice_position})
        return attributes

    def recordings(self):
        """A few seconds each, transcoded here so that the first page shows the player."""
        colours = [(158, 111, 64), (40, 102, 170)]
        for slug, kind, name, captions, transcripts, cues in RECORDINGS:
            product = Product.objects.get(slug=slug)
            if product.media.filter(kind=kind).exists():
                continue
            if kind == ProductMedia.Kind.VIDEO:
                content = video_clip(seconds=3, size=(854, 480), fps=12, colour=colours.pop())
            else:
                content = voice_clip(seconds=6)
            add_recording(
                product=product, kind=kind, file=ContentFile(content, name=name), right_away=True,
                caption_ko=captions[0], caption_en=captions[1],
                transcript_ko=transcripts[0], transcript_en=transcripts[1],
                captions_ko=f"WEBVTT\n\n{cues[0]}\n" if cues else "", captions_en=f"WEBVTT\n\n{cues[1]}\n" if cues else "",
            )

    def services(self, districts):
        services = []
        for ko, en, vehicle, _, _, base_fee in SERVICES:
            service, _ = TransportService.objects.update_or_create(
                name_en=en, defaults={"name_ko": ko, "vehicle": vehicle}
            )
            for index, district in enumerate(districts):
                ServiceArea.objects.get_or_create(
                    service=service, district=district, defaults={"fee": base_fee + 100 * (index % 4)}
                )
            services.append(service)
        return services

    def slots(self, services):
        """Slots from now until a week ahead, 09:00 to 22:00 local time."""
        today = timezone.localdate()
        for service, (_, _, _, minutes, capacity, _) in zip(services, SERVICES, strict=True):
            for day in range(8):
                start = timezone.make_aware(datetime.combine(today + timedelta(days=day), time(9)))
                close = start + timedelta(hours=13)
                while start < close:
                    TimeSlot.objects.get_or_create(service=service, starts_at=start, defaults={
                        "ends_at": start + timedelta(minutes=minutes), "capacity": capacity,
                    })
                    start += timedelta(minutes=minutes)

    def price_history(self, staff):
        """Once: the changes go through the price service, backdated."""
        if PriceChange.objects.filter(source=PriceChange.Source.DEMO).exists():
            return
        offers = {(offer.product.slug, offer.seller.slug): offer.pk
                  for offer in Offer.objects.select_related("product", "seller")}
        now = timezone.now()
        for days, product, seller, price in PRICE_HISTORY:
            set_offer_prices(prices={offers[product, seller]: price}, source=PriceChange.Source.DEMO, by=staff,
                             at=now - timedelta(days=days))

    def accounts(self, services, sellers):
        customer = self.user("customer", "김철민", phone="+8501912345678")
        staff = self.user("staff", "리영희", is_staff=True, is_superuser=True)
        username, name, seller = SELLER_STAFF
        clerk = self.user(username, name, is_staff=True)
        # Made by the orders migration 0002; gone only from a test database
        # that a transactional test flushed.
        group = Group.objects.filter(name="seller staff").first()
        if group:
            clerk.groups.add(group)
        sellers[seller].staff.add(clerk)
        finance_clerk = self.user("finance", "오은정", is_staff=True)
        finance = Group.objects.filter(name="finance").first()  # made by the payments migrations
        if finance:
            finance_clerk.groups.add(finance)
        pharmacist = self.user("pharmacist", "정명옥", is_staff=True)
        pharmacist.groups.add(ensure_pharmacist_group(django_apps))
        courier_user = self.user("courier", "박성진", phone="+8501912223333")
        Courier.objects.get_or_create(user=courier_user, defaults={"service": services[0], "phone": "+8501912223333"})
        for number, service in enumerate(services, start=2):
            extra = self.user(f"courier{number}", f"배달원{number}", phone=f"+85019122200{number:02d}")
            Courier.objects.get_or_create(user=extra, defaults={"service": service, "phone": extra.phone})
        card = Card.objects.filter(number_hash=number_hash(DEMO_CARD)).first()
        if card is None:
            card = payment_services.issue_card(holder_name="김철민", pin=DEMO_PIN, owner=customer, number=DEMO_CARD)
        payment_services.top_up(card=card, amount=1_000_000, idempotency_key="seed:demo-card", note="demo")
        for index in range(1, 4):
            number = with_check_digit(f"94080000000100{index}")
            if not Card.objects.filter(number_hash=number_hash(number)).exists():
                spare = payment_services.issue_card(holder_name=f"견본카드 {index}", pin=DEMO_PIN, number=number)
                payment_services.top_up(card=spare, amount=200_000, idempotency_key=f"seed:spare-{index}", note="demo")
        return staff

    def user(self, username, name, *, phone="", is_staff=False, is_superuser=False):
        User = get_user_model()
        user, created = User.objects.get_or_create(username=username, defaults={
            "first_name": name, "phone": phone, "is_staff": is_staff, "is_superuser": is_superuser,
        })
        if created:
            user.set_password(DEMO_PASSWORD)
            user.save()
        return user
