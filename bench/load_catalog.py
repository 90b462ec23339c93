"""Load a generated catalogue for benchmarks into the database named by
DATABASE_URL: 20 sellers, a three-level category tree, 100,000 products
(or ``--products``) with two to five offers each, one image each and, for
four in five, a weight (the attribute ``bench-weight``).

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/okryu_bench python bench/load_catalog.py [--products 1000000]

Idempotent: if the products are there already it says so and stops. The
data is deterministic (a fixed random seed), so two machines load the same
catalogue. Six pictures (one per kind of goods) are stored once through the
catalog's image code and every product points at one of them, as a real
shop with 100,000 photos would point at 100,000; pages only ever see the
thumbnails' names. Product summaries (best price, sellers, stock) are
computed here from the offers generated, as the catalog services would;
ratings and sales are random, since no orders or reviews are generated.
"""

import argparse
import io
import json
import os
import random
import sys
import time
from datetime import timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "okryu.settings")
# COPY of 350,000 rows and the index builds run longer than a page may.
os.environ.setdefault("DB_STATEMENT_TIMEOUT", "0")

PRODUCTS = 100_000
# Rows generated and copied at a time, so that a million products need no
# more memory than a hundred thousand.
CHUNK = 100_000
SELLERS = 20
SLUG_PREFIX = "bench-"

TOP = [  # slug, ko, en, motif
    ("food", "식료품", "Food", "food"), ("noodles", "국수", "Noodles", "noodles"),
    ("cosmetics", "화장품", "Cosmetics", "cosmetics"), ("medicine", "의약품", "Medicine", "medicine"),
    ("shoes", "신발", "Shoes", "shoes"), ("bags", "가방", "Bags", "bags"),
]
MIDDLE = [("a", "일반", "General"), ("b", "고급", "Premium"), ("c", "수입", "Imported"),
          ("d", "지방특산", "Local"), ("e", "계절", "Seasonal")]
LEAVES = [("1", "소형", "Small"), ("2", "중형", "Medium"), ("3", "대형", "Large"),
          ("4", "묶음", "Bundle"), ("5", "선물", "Gift")]
WORDS = {
    "food": [("김치", "kimchi"), ("된장", "soybean paste"), ("사과", "apple"), ("쌀", "rice"), ("두부", "tofu")],
    "noodles": [("평양랭면", "Pyongyang raengmyon"), ("국수", "noodles"), ("쟁반국수", "tray noodles"),
                ("온면", "warm noodles"), ("메밀국수", "buckwheat noodles")],
    "cosmetics": [("살결물", "skin toner"), ("크림", "cream"), ("비누", "soap"), ("샴푸", "shampoo"),
                  ("립스틱", "lipstick")],
    "medicine": [("감기약", "cold tablets"), ("소화제", "digestive"), ("비타민", "vitamin"), ("붕대", "bandage"),
                 ("인삼정", "ginseng extract")],
    "shoes": [("운동신발", "sports shoes"), ("구두", "leather shoes"), ("장화", "boots"), ("실내신", "slippers"),
              ("샌들", "sandals")],
    "bags": [("배낭", "backpack"), ("손가방", "handbag"), ("서류가방", "briefcase"), ("지갑", "wallet"),
             ("려행가방", "travel bag")],
}
ADJECTIVES = [("좋은", "fine"), ("새", "new"), ("큰", "big"), ("작은", "small"), ("특제", "special"),
              ("봄향기", "Pomhyanggi"), ("대동강", "Taedonggang"), ("묘향산", "Myohyangsan")]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--products", type=int, default=PRODUCTS)
    count = parser.parse_args().products
    if not os.environ.get("DATABASE_URL"):
        print("Set DATABASE_URL to the benchmark database (see bench/README.md).", file=sys.stderr)
        return 2
    import django

    django.setup()
    from catalog.models import Product

    existing = Product.objects.filter(slug__startswith=SLUG_PREFIX).count()
    if existing >= count:
        print(f"Benchmark catalogue already loaded ({existing:,} products); nothing to do.")
        return 0
    if existing:
        print(f"A partial load ({existing:,} products) is in the way: drop the database and run again.",
              file=sys.stderr)
        return 1
    started = time.monotonic()
    load(count, started)
    print(f"Loaded {count:,} products in {time.monotonic() - started:.1f} s.")
    return 0


def load(count: int, started: float) -> None:
    from django.core.files.base import ContentFile
    from django.db import connection, transaction
    from django.utils import timezone

    from catalog.media import check_image, write_image
    from catalog.models import Attribute, Category, Offer, Product, ProductAttributeValue, Seller
    from okryu.demo_images import product_picture

    rng = random.Random(20260101)
    pictures = {}
    for _, _, _, motif in TOP:
        upload = ContentFile(product_picture(motif, motif, size=640), name=f"{motif}.jpg")
        pictures[motif] = write_image(image=check_image(upload), folder="bench")
    with transaction.atomic():
        kinds = ["store", "factory", "restaurant"]
        sellers = [
            Seller(kind=kinds[n % 3], name_ko=f"시험상점 {n}", name_en=f"Bench seller {n}",
                   slug=f"{SLUG_PREFIX}seller-{n}", district="중구역", address=f"중구역 {n}")
            for n in range(SELLERS)
        ]
        for seller in sellers:
            seller.fill_search_columns()
        sellers = Seller.objects.bulk_create(sellers)
        leaves = []
        weight = Attribute.objects.create(code=f"{SLUG_PREFIX}weight", kind=Attribute.Kind.NUMBER, unit="g",
                                          name_ko="무게", name_en="Weight")
        for position, (top_slug, top_ko, top_en, motif) in enumerate(TOP):
            top = Category.objects.create(slug=f"{SLUG_PREFIX}{top_slug}", name_ko=f"{top_ko}",
                                          name_en=top_en, position=100 + position)
            for middle_slug, middle_ko, middle_en in MIDDLE:
                middle = Category.objects.create(parent=top, slug=f"{top.slug}-{middle_slug}",
                                                 name_ko=f"{middle_ko} {top_ko}", name_en=f"{middle_en} {top_en}")
                for leaf_slug, leaf_ko, leaf_en in LEAVES:
                    leaf = Category.objects.create(parent=middle, slug=f"{middle.slug}-{leaf_slug}",
                                                   name_ko=f"{leaf_ko} {middle_ko} {top_ko}",
                                                   name_en=f"{leaf_en} {middle_en} {top_en}")
                    leaves.append((leaf, motif))
            weight.categories.add(top)
        first_product, first_offer = _reserve_ids(Product, count), _reserve_ids(Offer, count * 5)
        created = timezone.now() - timedelta(seconds=count)
        offer_id = first_offer
        for chunk_start in range(0, count, CHUNK):
            products, offers, values = io.StringIO(), io.StringIO(), io.StringIO()
            for n in range(chunk_start, min(chunk_start + CHUNK, count)):
                offer_id = _generate(n, rng, leaves, sellers, pictures, created, products, offers, values,
                                     product_id=first_product + n, offer_id=offer_id, weight_id=weight.pk)
            _copy(connection, Product, PRODUCT_COLUMNS, products)
            _copy(connection, Offer, OFFER_COLUMNS, offers)
            _copy(connection, ProductAttributeValue, VALUE_COLUMNS, values)
            print(f"  {min(chunk_start + CHUNK, count):,} of {count:,} products, {offer_id - first_offer:,} offers "
                  f"({time.monotonic() - started:.0f} s)", flush=True)
    with connection.cursor() as cursor:
        # VACUUM too: a live database's autovacuum keeps the visibility map
        # that index-only scans need (the facet counts of a category); on
        # rows just copied it would start on its own during a measurement.
        cursor.execute("VACUUM (ANALYZE)")


def _generate(n, rng, leaves, sellers, pictures, created, products, offers, values, *, product_id, offer_id,
              weight_id) -> int:
    """Product ``n``, its offers and its weight as COPY rows; returns the next offer id."""
    from catalog import search

    # Half the catalogue in the first top category (food: 50,000 of 100,000
    # products, deep enough for page 2,000), the rest spread evenly.
    per_top = len(MIDDLE) * len(LEAVES)
    leaf, motif = leaves[n // 2 % per_top] if n % 2 == 0 else leaves[per_top + n // 2 % (len(leaves) - per_top)]
    adjective, noun = rng.choice(ADJECTIVES), rng.choice(WORDS[motif])
    image_name, thumbnails = pictures[motif]
    chosen = rng.sample(sellers, rng.randint(2, 5))
    prices = [rng.randint(5, 500) * 100 for _ in chosen]
    stocks = [rng.choice([0, 0, 3, 10, 50, 200]) for _ in chosen]
    in_stock_prices = [price for price, stock in zip(prices, stocks, strict=True) if stock]
    name_ko, name_en = f"{adjective[0]} {noun[0]} {n}", f"{adjective[1].title()} {noun[1]} {n}"
    description_ko, description_en = f"{noun[0]}. 시험용 상품입니다.", f"{noun[1]}. A benchmark product."
    weight = rng.choice([None, 100, 250, 500, 1000])
    if weight is not None:
        _row(values, [product_id, weight_id, weight, ""])
    _row(products, [
        product_id, leaf.pk, f"{SLUG_PREFIX}{n}", name_ko, name_en, description_ko, description_en,
        image_name, json.dumps(thumbnails),
        40 if motif == "noodles" and n % 7 == 0 else None, True, n % 997 == 0,
        (created + timedelta(seconds=n)).isoformat(), min(in_stock_prices or prices), len(chosen),
        bool(in_stock_prices), round(rng.uniform(2.5, 5), 2), rng.randint(0, 300),
        rng.randint(0, 5000), search.document(name_ko, name_en),
        # An array literal; the generated names hold no quotes or backslashes.
        "{" + ",".join(f'"{name}"' for name in search.names(name_ko, name_en)) + "}",
        search.description(description_ko, description_en), False, 0,
    ])
    for seller, price, stock in zip(chosen, prices, stocks, strict=True):
        _row(offers, [offer_id, product_id, seller.pk, price, stock, True, created.isoformat()])
        offer_id += 1
    return offer_id


PRODUCT_COLUMNS = (
    "id", "category_id", "slug", "name_ko", "name_en", "description_ko", "description_en", "image", "thumbnails",
    "fresh_minutes", "is_active", "is_featured", "created_at",
    "best_price", "seller_count", "in_stock", "rating", "rating_count", "units_sold", "search_text",
    "search_names", "search_description", "prescription_only", "best_seller_score",
)
OFFER_COLUMNS = ("id", "product_id", "seller_id", "price", "stock", "is_active", "updated_at")
VALUE_COLUMNS = ("product_id", "attribute_id", "number", "text")


def _reserve_ids(model, count: int) -> int:
    """The first of ``count`` consecutive ids taken from the table's sequence
    (the load runs alone, so nothing else draws from it meanwhile)."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_get_serial_sequence(%s, 'id')", [model._meta.db_table])
        (sequence,) = cursor.fetchone()
        cursor.execute("SELECT setval(%s, nextval(%s) + %s - 1)", [sequence, sequence, count])
        return cursor.fetchone()[0] - count + 1


def _row(out, values) -> None:
    # COPY's text format: tab-separated, \N for NULL; the generated text has
    # no tabs, newlines or backslashes to escape.
    out.write("\t".join("\\N" if v is None else ("t" if v else "f") if isinstance(v, bool) else str(v)
                         for v in values))
    out.write("\n")


def _copy(connection, model, columns, data) -> None:
    data.seek(0)
    with connection.cursor() as cursor:
        with cursor.cursor.copy(f"COPY {model._meta.db_table} ({', '.join(columns)}) FROM STDIN") as copy:
            copy.write(data.read())


if __name__ == "__main__":
    sys.exit(main())
