"""Small builders for test data. Each returns saved objects with sensible
defaults that a test overrides by keyword."""

import importlib
import itertools
import uuid
from datetime import timedelta

from django.apps import apps
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.db import connection
from django.utils import timezone

from catalog.models import Category, Offer, OpeningHours, Product, Seller
from catalog.services import refresh_product_summaries
from delivery.models import Courier, District, ServiceArea, TimeSlot, TransportService
from okryu.luhn import with_check_digit
from orders import services as order_services
from orders.cart import lines_to_pay
from orders.models import Address, Cart, Order, OrderLine
from payments import services as payment_services

PASSWORD = "okryu-demo"
PIN = "1234"
_sequence = itertools.count(1)


def next_number() -> int:
    """A number no other factory call has used in this run."""
    return next(_sequence)


def user(username=None, **fields):
    username = username or f"user{next(_sequence)}"
    person = get_user_model().objects.create(username=username, **{"first_name": username.title(), **fields})
    person.set_password(PASSWORD)
    person.save()
    return person


def finance_clerk(username=None):
    """A staff member of the finance group as the data migrations make it.
    A transactional test's flush empties every table, so make the group again
    with the migrations' own functions, which are idempotent."""
    for name, grant in (("payments.migrations.0003_finance_group", "create_finance_group"),
                        ("payments.migrations.0008_finance_issues_cards", "grant_card_issuing"),
                        ("orders.migrations.0005_finance_refunds_orders", "let_finance_see_orders")):
        getattr(importlib.import_module(name), grant)(apps, None)
    clerk = user(username, is_staff=True)
    clerk.groups.add(Group.objects.get(name="finance"))
    return clerk


def seller(*, hours=None, **fields):
    """A seller; ``hours`` (opens, closes) gives it those opening hours on every weekday."""
    n = next(_sequence)
    defaults = {"kind": "store", "name_ko": f"상점{n}", "name_en": f"Store {n}", "slug": f"store-{n}",
                "district": "중구역", "address": f"중구역 {n}"}
    created = Seller.objects.create(**{**defaults, **fields})
    if hours:
        opening_hours(created, *hours)
    return created


def opening_hours(seller_, opens_at, closes_at, *, weekdays=range(7)):
    OpeningHours.objects.bulk_create(
        OpeningHours(seller=seller_, weekday=weekday, opens_at=opens_at, closes_at=closes_at) for weekday in weekdays
    )


def category(**fields):
    n = next(_sequence)
    defaults = {"name_ko": f"분류{n}", "name_en": f"Category {n}", "slug": f"category-{n}"}
    return Category.objects.create(**{**defaults, **fields})


def product(*, category_=None, offers=(), **fields):
    """A product with offers given as (seller, price, stock) tuples."""
    n = next(_sequence)
    defaults = {"name_ko": f"상품{n}", "name_en": f"Product {n}", "slug": f"product-{n}"}
    item = Product.objects.create(category=category_ or category(), **{**defaults, **fields})
    for offer_seller, price, stock in offers:
        Offer.objects.create(product=item, seller=offer_seller, price=price, stock=stock)
    refresh_product_summaries(product_ids=[item.pk])
    item.refresh_from_db()
    return item


def district(**fields):
    n = next(_sequence)
    return District.objects.create(**{"name_ko": f"구역{n}", "name_en": f"District {n}", "slug": f"d-{n}", **fields})


def service(*, districts, fee=1000, **fields):
    transport = TransportService.objects.create(
        **{"name_ko": "급송", "name_en": "Express", "vehicle": "motorbike", **fields}
    )
    for area in districts:
        ServiceArea.objects.create(service=transport, district=area, fee=fee)
    return transport


def slot(*, service_, starts_in=timedelta(hours=2), minutes=30, capacity=10, **fields):
    start = timezone.now() + starts_in
    return TimeSlot.objects.create(
        service=service_, starts_at=start, ends_at=start + timedelta(minutes=minutes), capacity=capacity, **fields
    )


def card(*, owner=None, balance=500_000, pin=PIN, **fields):
    number = with_check_digit(f"9408{next(_sequence):011d}")
    issued = payment_services.issue_card(holder_name="Holder", pin=pin, owner=owner, number=number, **fields)
    if balance:
        payment_services.top_up(card=issued, amount=balance, idempotency_key=f"test-top-up:{number}")
    return issued


def address(*, owner, district_, **fields):
    return Address.objects.create(
        user=owner, district=district_,
        **{"recipient_name": "김철민", "phone": "+8501911112222", "line": "1동 2호", **fields},
    )


def courier(*, service_, username=None):
    person = user(username)
    return Courier.objects.create(user=person, service=service_, phone="+8501913334444")


def shown_cart(cart) -> str:
    """The fingerprint the pay page of ``cart`` as it is now would post."""
    return order_services.cart_fingerprint(lines_to_pay(cart))


def paid_order(*, customer, card_, address_, offer, slot_, quantity=1):
    """An order placed and paid through orders.services.place_order, as checkout does."""
    cart, _created = Cart.objects.get_or_create(user=customer)
    order_services.add_to_cart(cart=cart, offer=offer, quantity=quantity)
    return order_services.place_order(
        user=customer, cart=cart, address=address_, shown_cart=shown_cart(cart), slot_id=slot_.pk,
        card_number=card_.number, pin=PIN, token=uuid.uuid4(),
    )


def order(*, owner, district_, offers, status=Order.Status.DELIVERED):
    """An order row with one line per (offer, quantity), written directly in
    the given status: for pages that show an order, not for checkout."""
    subtotal = sum(offer.price * quantity for offer, quantity in offers)
    placed = Order.objects.create(
        number=f"T{next(_sequence):08d}", user=owner, status=status, checkout_token=uuid.uuid4(),
        subtotal=subtotal, delivery_fee=1000, total=subtotal + 1000, recipient_name="김철민",
        phone="+8501911112222", district=district_, district_name=district_.name_ko, address_line="1동 2호",
        service_name="급송",
    )
    for offer, quantity in offers:
        OrderLine.objects.create(
            order=placed, offer=offer, product=offer.product, seller=offer.seller, product_name=offer.product.name_ko,
            seller_name=offer.seller.name_ko, unit_price=offer.price, quantity=quantity,
        )
    return placed


def bulk_products(count, *, category_, sellers, name_ko="상품", name_en="Product", price=1000):
    """``count`` listed products, each offered by every seller in ``sellers``,
    written with bulk_create (so the summary and search columns are set here)."""
    start = next(_sequence) * 100_000
    items = [
        Product(
            category=category_, slug=f"bulk-{start + i}", name_ko=f"{name_ko} {i}", name_en=f"{name_en} {i}",
            best_price=price + i, seller_count=len(sellers), in_stock=True,
        )
        for i in range(count)
    ]
    for item in items:
        item.fill_search_columns()
    items = Product.objects.bulk_create(items)
    Offer.objects.bulk_create(
        Offer(product=item, seller=offer_seller, price=price + i, stock=5)
        for i, item in enumerate(items) for offer_seller in sellers
    )
    # As after any bulk load (bench/load_catalog.py does the same): without
    # statistics the planner takes the new rows for none and may join them
    # by nested loops that take seconds.
    with connection.cursor() as cursor:
        cursor.execute(f"ANALYZE {Product._meta.db_table}, {Offer._meta.db_table}")
    return items
