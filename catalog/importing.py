"""Products and offers from a CSV file: every row is checked before
anything is written, and the whole file is written in one transaction, so a
file with one bad row changes nothing.

One row is one offer: the product's columns, then the seller and its price.
A product sold by several sellers takes several rows, whose product columns
must agree. A column ``a.<code>`` gives the product's value of that
attribute (an empty cell takes the value away).
"""

import csv
from dataclasses import dataclass

from django import forms
from django.db import transaction

from catalog.models import Attribute, Category, Offer, PriceChange, Product, ProductAttributeValue, Seller
from catalog.services import refresh_product_summaries, set_offer_prices

COLUMNS = {
    "product_slug": "the product's slug (letters, digits, - and _); an existing slug updates that product",
    "category_slug": "slug of an existing category",
    "name_ko": "Korean name",
    "name_en": "English name (optional)",
    "description_ko": "Korean description (optional)",
    "description_en": "English description (optional)",
    "seller_slug": "slug of an existing seller",
    "price": "the seller's price in whole won, above 0",
    "stock": "units in stock, 0 or more",
    "active": "whether the offer is on sale: 1/0, yes/no, true/false (optional, default 1)",
    "a.<code>": "the product's value of the attribute <code>: a number, a choice's code or a text (optional)",
}
REQUIRED_COLUMNS = {"product_slug", "category_slug", "name_ko", "seller_slug", "price", "stock"}
PRODUCT_COLUMNS = ("category_slug", "name_ko", "name_en", "description_ko", "description_en", "attributes")
ATTRIBUTE_PREFIX = "a."
TRUE, FALSE = {"", "1", "yes", "true", "y"}, {"0", "no", "false", "n"}


class RowForm(forms.Form):
    product_slug = forms.SlugField(max_length=80)
    category_slug = forms.SlugField()
    name_ko = forms.CharField(max_length=160)
    name_en = forms.CharField(max_length=160, required=False)
    description_ko = forms.CharField(required=False)
    description_en = forms.CharField(required=False)
    seller_slug = forms.SlugField()
    price = forms.IntegerField(min_value=1, max_value=2_000_000_000)
    stock = forms.IntegerField(min_value=0, max_value=2_000_000_000)
    active = forms.CharField(required=False)

    def clean_active(self):
        value = self.cleaned_data["active"].strip().lower()
        if value not in TRUE | FALSE:
            raise forms.ValidationError("use 1 or 0", code="active")
        return value in TRUE


@dataclass(frozen=True)
class BadRow:
    line: int
    reason: str

    def __str__(self):
        return f"line {self.line}: {self.reason}"


def read_catalog_csv(file) -> tuple[list[dict], list[BadRow]]:
    """Parse and check every row; return the clean rows and every bad row
    with its line number (the header is line 1)."""
    reader = csv.DictReader(file)
    header = set(reader.fieldnames or [])
    named = {name.removeprefix(ATTRIBUTE_PREFIX) for name in header if name.startswith(ATTRIBUTE_PREFIX)}
    attributes = {attribute.code: attribute for attribute in Attribute.objects.filter(code__in=named)
                  .prefetch_related("choices", "categories")}
    missing = REQUIRED_COLUMNS - header
    unknown = header - set(COLUMNS) - {ATTRIBUTE_PREFIX + code for code in attributes}
    if missing or unknown:
        reasons = [f"missing column {name}" for name in sorted(missing)]
        reasons += [f"unknown column {name}" for name in sorted(unknown)]
        return [], [BadRow(1, "; ".join(reasons))]
    categories = {slug: (pk, path) for slug, pk, path in Category.objects.values_list("slug", "pk", "path")}
    sellers = dict(Seller.objects.values_list("slug", "pk"))
    rows, bad, first_seen, offers_seen = [], [], {}, {}
    for record in reader:
        line = reader.line_num
        if None in record:
            bad.append(BadRow(line, "more values than columns"))
            continue
        form = RowForm({key: (value or "").strip() for key, value in record.items()})
        if not form.is_valid():
            bad.append(BadRow(line, "; ".join(
                f"{field}: {' '.join(errors)}" for field, errors in form.errors.items())))
            continue
        row = form.cleaned_data
        category = categories.get(row["category_slug"])
        row["attributes"], reasons = _attribute_values(record, attributes, category_path=category and category[1])
        if category is None:
            reasons.append(f"no category {row['category_slug']}")
        if row["seller_slug"] not in sellers:
            reasons.append(f"no seller {row['seller_slug']}")
        offer_key = (row["product_slug"], row["seller_slug"])
        if offer_key in offers_seen:
            reasons.append(f"the same product and seller as line {offers_seen[offer_key]}")
        earlier = first_seen.get(row["product_slug"])
        if earlier and any(earlier[1][column] != row[column] for column in PRODUCT_COLUMNS):
            reasons.append(f"product columns differ from line {earlier[0]}")
        if reasons:
            bad.append(BadRow(line, "; ".join(reasons)))
            continue
        offers_seen[offer_key] = line
        first_seen.setdefault(row["product_slug"], (line, row))
        rows.append({**row, "category_id": category[0], "seller_id": sellers[row["seller_slug"]]})
    return rows, bad


def _attribute_values(record: dict, attributes: dict[str, Attribute], *, category_path: str | None):
    """The row's attribute values (attribute id to the value's columns, None
    for an empty cell) and the reasons any is wrong."""
    values, reasons = {}, []
    for code, attribute in attributes.items():
        raw = (record[ATTRIBUTE_PREFIX + code] or "").strip()
        if not raw:
            values[attribute.pk] = None
            continue
        try:
            values[attribute.pk] = attribute.value_from_text(raw)
        except forms.ValidationError as error:
            reasons.append(f"{ATTRIBUTE_PREFIX}{code}: {' '.join(error.messages)}")
            continue
        if category_path and not any(category_path.startswith(owner.path) for owner in attribute.categories.all()):
            reasons.append(f"{ATTRIBUTE_PREFIX}{code}: not an attribute of this category")
    return values, reasons


@transaction.atomic
def import_catalog(*, rows: list[dict], by=None) -> dict[str, int]:
    """Create or update the products and offers of checked rows, all or
    nothing, recording each changed price (``by`` whom, if anyone), then
    refresh the products' summaries. Returns counts."""
    prices: dict[int, int] = {}
    counts = {"products_created": 0, "products_updated": 0, "offers_created": 0, "offers_updated": 0}
    products: dict[str, Product] = {}
    for row in rows:
        product = products.get(row["product_slug"])
        if product is None:
            product, created = Product.objects.update_or_create(slug=row["product_slug"], defaults={
                "category_id": row["category_id"], "name_ko": row["name_ko"], "name_en": row["name_en"],
                "description_ko": row["description_ko"], "description_en": row["description_en"],
            })
            for attribute_id, value in row["attributes"].items():
                if value is None:
                    ProductAttributeValue.objects.filter(product=product, attribute_id=attribute_id).delete()
                else:
                    ProductAttributeValue.objects.update_or_create(product=product, attribute_id=attribute_id,
                                                                   defaults=value)
            products[row["product_slug"]] = product
            counts["products_created" if created else "products_updated"] += 1
        # The price of an existing offer changes through set_offer_prices, which records it.
        offer, created = Offer.objects.update_or_create(
            product=product, seller_id=row["seller_id"],
            defaults={"stock": row["stock"], "is_active": row["active"]}, create_defaults={
                "price": row["price"], "stock": row["stock"], "is_active": row["active"]},
        )
        if not created:
            prices[offer.pk] = row["price"]
        counts["offers_created" if created else "offers_updated"] += 1
    set_offer_prices(prices=prices, source=PriceChange.Source.IMPORT, by=by)
    refresh_product_summaries(product_ids=sorted(product.pk for product in products.values()))
    return counts
