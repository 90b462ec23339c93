"""What a product page shows, read in two queries written once.

The page is built once per catalogue version and then served from the
cache, but each product's first view builds it, and a catalogue is mostly
products seen once: there the ORM's building and compiling of six
querysets (the product, its gallery, offers, reviews and price history,
and the prefetches' joins) cost more CPU than the rendering. These two
statements are put together from the models' columns when the module is
imported; each view only sends them. The gallery, the reviews with their
authors' and sellers' names and the price history come in the product's
row as JSON (Postgres builds it), and become model instances here."""

import json
from datetime import datetime

from django.contrib.auth import get_user_model
from django.db.models import JSONField, Model

from catalog.models import (
    Attribute,
    AttributeChoice,
    Category,
    Offer,
    PriceChange,
    Product,
    ProductAttributeValue,
    ProductMedia,
    Review,
    Seller,
    SellerScore,
)
from okryu.db import read_connection

# Never on the page: the search columns.
SEARCH_COLUMNS = {"search_text", "search_names", "search_description"}


def _fields(model: type[Model]) -> list:
    return [field for field in model._meta.concrete_fields if field.attname not in SEARCH_COLUMNS]


def _select(model: type[Model], alias: str) -> str:
    return ", ".join(f'{alias}."{field.column}"' for field in _fields(model))


PRODUCT_FIELDS, CATEGORY_FIELDS = _fields(Product), _fields(Category)
OFFER_FIELDS, SELLER_FIELDS, SCORE_FIELDS = _fields(Offer), _fields(Seller), _fields(SellerScore)
REVIEW_SELLER_FIELDS = ("id", "slug", "name_ko", "name_en")

PRODUCT = f"""
SELECT {_select(Product, "p")}, {_select(Category, "c")},
    (SELECT COALESCE(jsonb_agg(to_jsonb(m) ORDER BY m.position, m.id), '[]')
     FROM "{ProductMedia._meta.db_table}" m WHERE m.product_id = p.id),
    (SELECT COALESCE(jsonb_agg(latest ORDER BY created_at DESC, id DESC), '[]') FROM (
        SELECT to_jsonb(r) || jsonb_build_object(
            'author', jsonb_build_object('id', u.id, 'first_name', u.first_name),
            'seller', jsonb_build_object({", ".join(f"'{name}', s.{name}" for name in REVIEW_SELLER_FIELDS)})
        ) AS latest, r.created_at, r.id
        FROM "{Review._meta.db_table}" r
        JOIN "{get_user_model()._meta.db_table}" u ON u.id = r.author_id
        JOIN "{Seller._meta.db_table}" s ON s.id = r.seller_id
        WHERE r.product_id = p.id AND NOT r.is_hidden
        ORDER BY r.created_at DESC, r.id DESC LIMIT %(reviews)s) AS latest_reviews),
    (SELECT COALESCE(jsonb_agg(jsonb_build_array(h.offer_id, h.changed_at, h.old_price, h.new_price)
                               ORDER BY h.changed_at, h.id), '[]')
     FROM "{PriceChange._meta.db_table}" h JOIN "{Offer._meta.db_table}" ho ON ho.id = h.offer_id
     WHERE ho.product_id = p.id AND h.changed_at >= %(since)s),
    (SELECT COALESCE(jsonb_agg(to_jsonb(v) || jsonb_build_object('attribute', to_jsonb(a), 'choice', to_jsonb(ch))
                               ORDER BY a.position, a.code), '[]')
     FROM "{ProductAttributeValue._meta.db_table}" v JOIN "{Attribute._meta.db_table}" a ON a.id = v.attribute_id
     LEFT JOIN "{AttributeChoice._meta.db_table}" ch ON ch.id = v.choice_id
     WHERE v.product_id = p.id)
FROM "{Product._meta.db_table}" p JOIN "{Category._meta.db_table}" c ON c.id = p.category_id
WHERE p.slug = %(slug)s AND p.is_active
"""

LIVE_OFFERS = f"""
SELECT {_select(Offer, "o")}, {_select(Seller, "s")}, {_select(SellerScore, "sc")}
FROM "{Offer._meta.db_table}" o JOIN "{Seller._meta.db_table}" s ON s.id = o.seller_id
LEFT JOIN "{SellerScore._meta.db_table}" sc ON sc.seller_id = s.id
WHERE o.product_id = %(product)s AND o.is_active AND s.is_active
"""


def read_product(slug: str, *, reviews: int, since: datetime) -> Product | None:
    """The active product of ``slug`` with its ``category``, ``gallery``
    (media in order), ``latest_reviews`` (at most ``reviews``, newest
    first, with ``author`` and ``seller``), ``price_history`` (the price
    changes of its offers since ``since``, as prices.changes_since gives
    them), ``attribute_list`` (its attribute values in the attributes'
    order, with ``attribute`` and ``choice``) and ``live_offers`` (active
    offers of active sellers, with ``seller`` and the seller's ``score``
    row or none, in no order); None when there is none. Two queries."""
    with read_connection().cursor() as cursor:
        cursor.execute(PRODUCT, {"slug": slug, "reviews": reviews, "since": since})
        row = cursor.fetchone()
        if row is None:
            return None
        product_end = len(PRODUCT_FIELDS)
        category_end = product_end + len(CATEGORY_FIELDS)
        product = _instance(Product, PRODUCT_FIELDS, row[:product_end], connection=cursor.db)
        product.category = _instance(Category, CATEGORY_FIELDS, row[product_end:category_end], connection=cursor.db)
        gallery, latest_reviews, history, attribute_values = (json.loads(value) for value in row[category_end:])
        cursor.execute(LIVE_OFFERS, {"product": product.pk})
        offers = cursor.fetchall()
        connection = cursor.db
    product.gallery = _from_json(ProductMedia, gallery)
    product.latest_reviews = _from_json(Review, latest_reviews)
    product.price_history = [(offer_id, datetime.fromisoformat(at), old, new) for offer_id, at, old, new in history]
    product.attribute_list = _from_json(ProductAttributeValue, attribute_values)
    product.live_offers = []
    for offer_row in offers:
        offer = _instance(Offer, OFFER_FIELDS, offer_row[:len(OFFER_FIELDS)], connection=connection)
        seller_end = len(OFFER_FIELDS) + len(SELLER_FIELDS)
        offer.seller = _instance(Seller, SELLER_FIELDS, offer_row[len(OFFER_FIELDS):seller_end], connection=connection)
        score = offer_row[seller_end:]
        # Cached even when there is no row, so the template's seller.score asks nothing.
        Seller.score.related.set_cached_value(offer.seller, _instance(
            SellerScore, SCORE_FIELDS, score, connection=connection) if score[0] is not None else None)
        offer.product = product
        product.live_offers.append(offer)
    return product


def _instance(model: type[Model], fields: list, values, *, connection) -> Model:
    """An instance from its columns as the driver gave them, converted as
    the ORM converts them (a JSON column arrives as text)."""
    converted = [field.from_db_value(value, None, connection) if hasattr(field, "from_db_value") else value
                 for field, value in zip(fields, values, strict=True)]
    return model.from_db(connection.alias, [field.attname for field in fields], converted)


def _from_json(model: type[Model], objects: list[dict]) -> list[Model]:
    """Instances of to_jsonb's objects of ``model``'s rows, each value in
    its field's type, with the nested objects of its foreign keys attached."""
    instances = []
    for values in objects:
        typed, related = {}, {}
        for name, value in values.items():
            field = model._meta.get_field(name)
            if field.is_relation and isinstance(value, dict):
                related[name] = _from_json(field.related_model, [value])[0]
            elif field.attname not in SEARCH_COLUMNS:
                # A JSON column's value is already decoded: to_python would take it for text.
                typed[field.attname] = value if isinstance(field, JSONField) else field.to_python(value)
        # In the model's column order: jsonb keeps its keys in an order of its own.
        names = [field.attname for field in model._meta.concrete_fields if field.attname in typed]
        instance = model.from_db(None, names, [typed[name] for name in names])
        for name, other in related.items():
            setattr(instance, name, other)
        instances.append(instance)
    return instances
