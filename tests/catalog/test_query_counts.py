"""Every customer catalogue page, and the search suggestions, run the same,
small number of SQL queries with 10 products as with 1,000."""

from urllib.parse import urlencode

import pytest
from django.core.cache import cache
from django.db import reset_queries
from django.urls import reverse, reverse_lazy

from catalog.models import Attribute, AttributeChoice, Offer, Product, ProductAttributeValue
from tests import factories

pytestmark = pytest.mark.django_db

MAX_QUERIES = 10


@pytest.fixture
def catalogue(world):
    food = factories.category(name_ko="식료품", name_en="Food", slug="food")
    noodles = factories.category(name_ko="국수", name_en="Noodles", slug="noodles", parent=food)
    restaurant = factories.seller(kind="restaurant", name_ko="옥류관", slug="okryukwan")
    sellers = [world.store, world.factory, restaurant]
    # Every product has a weight and a spiciness, so every listing has facets to count.
    weight = Attribute.objects.create(code="weight", kind=Attribute.Kind.NUMBER, unit="g", name_ko="무게")
    spiciness = Attribute.objects.create(code="spiciness", kind=Attribute.Kind.CHOICE, name_ko="매운 정도")
    weight.categories.add(food)
    spiciness.categories.add(food)
    levels = [AttributeChoice.objects.create(attribute=spiciness, code=code, label_ko=code)
              for code in ("mild", "medium", "hot")]

    def grow(count):
        items = factories.bulk_products(
            count, category_=noodles, sellers=sellers, name_ko="평양랭면", name_en="Pyongyang naengmyeon"
        )
        Product.objects.filter(pk__in=[item.pk for item in items[::3]]).update(is_featured=True, fresh_minutes=40)
        ProductAttributeValue.objects.bulk_create([
            *(ProductAttributeValue(product=item, attribute=weight, number=(250, 500, 1000)[i % 3])
              for i, item in enumerate(items)),
            *(ProductAttributeValue(product=item, attribute=spiciness, choice=levels[i % 3])
              for i, item in enumerate(items)),
        ])
        return items

    first = grow(10)
    return {"grow": grow, "product": first[0], "sellers": sellers}


NEWEST = reverse_lazy("catalog:category", args=["food"])


def second_page(client) -> str:
    """The URL of the second page of the newest products of Food, as the Next link gives it."""
    cursor = client.get(NEWEST, {"sort": "newest"}).context["page"].next_cursor
    return f"{NEWEST}?{urlencode({'sort': 'newest', 'after': cursor})}"


PAGES = [
    ("home", lambda c: reverse("catalog:home")),
    ("category", lambda c: reverse("catalog:category", args=["food"])),
    ("category filtered", lambda c: reverse("catalog:category", args=["food"])
     + "?kind=restaurant&seller=okryukwan&in_stock=on&price_min=1&rating=3&sort=priciest"),
    ("category page 2", lambda c: c["second_page"]),
    ("category by seller score", lambda c: reverse("catalog:category", args=["food"]) + "?sort=seller_score"),
    ("category by attributes", lambda c: reverse("catalog:category", args=["food"])
     + "?a.weight=500&a.weight=1000&a.spiciness=hot&in_stock=on&sort=newest"),
    ("search Korean", lambda c: reverse("catalog:search") + "?q=냉면"),
    ("search English typo", lambda c: reverse("catalog:search") + "?q=naengmyon&kind=store"),
    ("search by attributes", lambda c: reverse("catalog:search") + "?q=냉면&a.spiciness=mild&a.weight=250"),
    ("search nothing", lambda c: reverse("catalog:search") + "?q=qqxxzz"),
    ("search seller", lambda c: reverse("catalog:search") + "?q=옥류관"),
    ("search seller and product", lambda c: reverse("catalog:search") + "?q=옥류관+랭면"),
    ("search category", lambda c: reverse("catalog:search") + "?q=국수"),
    ("suggestions", lambda c: reverse("catalog:suggest") + "?q=옥류"),
    ("seller", lambda c: reverse("catalog:seller", args=[c["seller"]]) + "?sort=bestselling"),
    ("product", lambda c: reverse("catalog:product", args=[c["slug"]])),
    ("seller score", lambda c: reverse("catalog:seller_score", args=[c["seller"]])),
]


@pytest.mark.parametrize(("name", "url"), PAGES, ids=[name for name, _ in PAGES])
def test_the_query_count_does_not_grow_with_the_catalogue(
    client, catalogue, django_assert_max_num_queries, django_assert_num_queries, name, url
):
    product = catalogue["product"]
    context = {"seller": catalogue["sellers"][2].slug, "slug": product.slug, "second_page": second_page(client)}
    # Each request empties the connection's query log (request_started), so
    # start from an empty log for the counts to line up. The pages are
    # counted uncached (an empty cache before each): that is the path whose
    # cost must not grow; a cached page runs fewer (test_cache.py).
    cache.clear()
    reset_queries()
    with django_assert_max_num_queries(MAX_QUERIES) as small:
        assert client.get(url(context)).status_code == 200
    count = len(small)

    catalogue["grow"](1000)
    # The first product gains offers from many more sellers too.
    more_sellers = [factories.seller() for _ in range(20)]
    Offer.objects.bulk_create(Offer(product=product, seller=seller, price=900, stock=2) for seller in more_sellers)
    context["second_page"] = second_page(client)
    cache.clear()
    reset_queries()
    with django_assert_num_queries(count):
        assert client.get(url(context)).status_code == 200


FIRST_VIEW_MAX_QUERIES = 3


def test_a_product_page_seen_for_the_first_time_takes_three_queries(client, world, django_assert_max_num_queries):
    """With everything the page shows: sellers, a gallery with a recording,
    reviews and a price history (the catalogue version, the product with
    them, its offers)."""
    from datetime import timedelta

    from django.utils import timezone

    from catalog.models import (
        Attribute,
        AttributeChoice,
        PriceChange,
        ProductAttributeValue,
        ProductMedia,
        Review,
        SellerScore,
    )
    from catalog.services import set_offer_prices

    soap = world.soap
    scent = Attribute.objects.create(code="scent", kind=Attribute.Kind.CHOICE, name_ko="향", name_en="Scent")
    ProductAttributeValue.objects.create(product=soap, attribute=scent, choice=AttributeChoice.objects.create(
        attribute=scent, code="pine", label_ko="소나무", label_en="Pine"))
    SellerScore.objects.create(seller=world.store, days=90, orders=30, prepared=30, on_time=28, rating=4.5, score=87,
                               computed_at=timezone.now())  # the factory has none: a new seller
    ProductMedia.objects.create(product=soap, file="products/side.jpg", caption_ko="옆모습", position=1,
                                thumbnails={"stem": "products/side", "width": 640, "height": 480, "widths": [320]})
    ProductMedia.objects.create(
        product=soap, kind=ProductMedia.Kind.AUDIO, file="products/voice.wav", caption_ko="판매원의 설명", position=2,
        duration=65.0, transcript_ko="향기로운 비누입니다.",
        renditions={"files": [{"name": "products/voice.m4a", "bytes": 40_000}], "poster": {}},
    )
    for index, seller in enumerate([world.store, world.factory]):
        Review.objects.create(product=soap, seller=seller, author=factories.user(first_name=f"손님{index}"),
                              purchase_key=f"purchase-{index}", stars=4 + index, text=f"좋은 비누 {index}")
    set_offer_prices(prices={Offer.objects.get(seller=world.factory).pk: 800}, source="admin",
                     at=timezone.now() - timedelta(days=3))
    assert PriceChange.objects.exists()
    cache.clear()
    reset_queries()
    with django_assert_max_num_queries(FIRST_VIEW_MAX_QUERIES):
        page = client.get(reverse("catalog:product", args=[soap.slug])).content.decode()
    for shown in ("손님0", "좋은 비누 1", "products/side-320.webp", 'alt="옆모습"', "판매원의 설명",
                  "향기로운 비누입니다.", "1:05", "price-trend", world.store.name, world.factory.name,
                  soap.category.name, "<dt>향</dt><dd>소나무</dd>", "판매자 점수 87/100", "신규 판매자"):
        assert shown in page, shown
