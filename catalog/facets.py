"""Attribute filters of product listings and the counts beside each value.

A filter is ``?a.<code>=<value>`` in the URL, repeatable: values of one
attribute are alternatives (50 ml or 100 ml), attributes together narrow
(50 ml and made of leather). A value is the number without trailing zeros
(``50``, ``0.5``), a choice's code (``hot``) or the text (``230–280``).
Only values some product has count (``known_values``): anything else in the
URL is dropped, so an address can neither break a page nor make the page
cache keep one copy per made-up value.

Each value's count is the number of products the list would show with that
value chosen instead of the attribute's own current choices, under every
other filter: what a click on it would add. All attributes' counts come from
one query (``count_facets``).
"""

from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

from django.db.models import Count, Exists, OuterRef, Q
from django.http import QueryDict

from catalog.models import Attribute, ProductAttributeValue, format_number
from okryu.localized import pick

PREFIX = "a."
# More alternatives of one attribute than any list of links offers.
MAX_VALUES = 20
MAX_KEY_LENGTH = 80
COLUMNS = {Attribute.Kind.NUMBER: "number", Attribute.Kind.CHOICE: "choice_id", Attribute.Kind.TEXT: "text"}


@dataclass(frozen=True)
class Known:
    """An attribute some product has a value of, and those values: URL key
    to what its column holds (a Decimal, a choice's id, a text)."""

    pk: int
    kind: str
    values: dict[str, object]


@dataclass
class FacetValue:
    key: str
    label_ko: str
    label_en: str
    count: int
    selected: bool
    query: str = ""  # the query string that toggles this value, set per page

    @property
    def label(self) -> str:
        return pick(self, "label")


@dataclass
class Facet:
    code: str
    name_ko: str
    name_en: str
    values: list[FacetValue] = field(default_factory=list)

    @property
    def name(self) -> str:
        return pick(self, "name")

    @property
    def param(self) -> str:
        return PREFIX + self.code


def value_key(*, number: Decimal | None, choice_code: str | None, text: str) -> str:
    if number is not None:
        return format_number(number)
    return choice_code or text


def known_values() -> dict[str, Known]:
    """Every attribute in use, by code, with the values products have: one
    query (cache it for the catalogue version)."""
    known: dict[str, Known] = {}
    rows = (ProductAttributeValue.objects.order_by().values_list(
        "attribute_id", "attribute__code", "attribute__kind", "number", "choice_id", "choice__code", "text")
        .distinct())
    for attribute_id, code, kind, number, choice_id, choice_code, text in rows:
        stored = {"number": number, "choice_id": choice_id, "text": text}[COLUMNS[kind]]
        known.setdefault(code, Known(attribute_id, kind, {})).values[
            value_key(number=number, choice_code=choice_code, text=text)] = stored
    return known


def wanted_codes(query: QueryDict) -> bool:
    """Whether the query string asks for any attribute filter at all (the
    known values need not be read otherwise)."""
    return any(name.startswith(PREFIX) for name in query)


def selected_values(query: QueryDict, known: dict[str, Known]) -> dict[str, tuple[str, ...]]:
    """The valid attribute filters of ``query``: code to the sorted keys of
    the chosen values; unknown attributes and values are left out."""
    selected = {}
    for name in query:
        code = name.removeprefix(PREFIX)
        if name.startswith(PREFIX) and code in known:
            asked = {_normalised(known[code], key[:MAX_KEY_LENGTH]) for key in query.getlist(name)[:MAX_VALUES]}
            keys = sorted(key for key in asked if key in known[code].values)
            if keys:
                selected[code] = tuple(keys)
    return dict(sorted(selected.items()))


def _normalised(attribute: Known, key: str) -> str:
    """A number as value_key writes it (50.0 and 050 are 50); anything else as given."""
    if attribute.kind != Attribute.Kind.NUMBER:
        return key
    try:
        number = Decimal(key)
    except InvalidOperation:
        return key
    # No stored value (12 digits, 3 after the point) has a larger exponent;
    # 1e999999 would spell a million digits.
    return format_number(number) if number.is_finite() and abs(number.adjusted()) < 12 else key


def _having(attribute: Known, keys, *, product) -> Exists:
    return Exists(ProductAttributeValue.objects.filter(
        product=product, attribute_id=attribute.pk,
        **{f"{COLUMNS[attribute.kind]}__in": [attribute.values[key] for key in keys]}))


def filter_products(products, selected: dict[str, tuple[str, ...]], known: dict[str, Known]):
    """``products`` with every selected attribute filter applied."""
    for code, keys in selected.items():
        products = products.filter(_having(known[code], keys, product=OuterRef("pk")))
    return products


def count_facets(products, selected: dict[str, tuple[str, ...]], known: dict[str, Known]) -> list[Facet]:
    """The facets of ``products`` (the listing under every filter but the
    attribute ones): each attribute its products have, each value with its
    count under the other attributes' filters, in one query. Values no
    product would show are left out, unless chosen."""
    having = {code: _having(known[code], keys, product=OuterRef("product_id")) for code, keys in selected.items()}
    counted = None
    if having:
        # A value row of attribute A counts when its product passes every filter but A's own.
        counted = ~Q(attribute_id__in=[known[code].pk for code in having]) & Q(*having.values())
        for code in having:
            counted |= Q(*(test for other, test in having.items() if other != code), attribute_id=known[code].pk)
    rows = (ProductAttributeValue.objects.filter(product__in=products.order_by().values("pk")).order_by()
            .values("attribute__position", "attribute__code", "attribute__name_ko", "attribute__name_en",
                    "attribute__unit", "number", "choice__position", "choice__code", "choice__label_ko",
                    "choice__label_en", "text")
            .annotate(count=Count("product_id", filter=counted)))
    facets: dict[str, Facet] = {}
    for row in sorted(rows, key=lambda row: (row["attribute__position"], row["attribute__code"],
                                             row["choice__position"] or 0, row["number"] or 0, row["text"])):
        code = row["attribute__code"]
        key = value_key(number=row["number"], choice_code=row["choice__code"], text=row["text"])
        chosen = key in selected.get(code, ())
        if not row["count"] and not chosen:
            continue
        if row["choice__code"]:
            label_ko, label_en = row["choice__label_ko"], row["choice__label_en"]
        else:
            label_ko = label_en = " ".join(filter(None, (key, row["attribute__unit"])))
        facets.setdefault(code, Facet(code, row["attribute__name_ko"], row["attribute__name_en"])).values.append(
            FacetValue(key, label_ko, label_en, row["count"], chosen))
    return list(facets.values())


def link_facets(facets: list[Facet], query: QueryDict) -> list[Facet]:
    """``facets`` with each value's link: ``query`` (a listing's valid
    parameters, without its page cursors) with that value added or taken
    away. Copies: the cached facets are shared."""
    linked = []
    for facet in facets:
        values = []
        for value in facet.values:
            toggled = query.copy()
            chosen = toggled.getlist(facet.param)
            toggled.setlist(facet.param, [key for key in chosen if key != value.key] if value.selected
                            else sorted([*chosen, value.key]))
            values.append(FacetValue(value.key, value.label_ko, value.label_en, value.count, value.selected,
                                     toggled.urlencode()))
        linked.append(Facet(facet.code, facet.name_ko, facet.name_en, values))
    return linked


def without_attributes(query: QueryDict) -> str:
    """``query`` with every attribute filter taken away, as a query string."""
    rest = query.copy()
    for name in [name for name in rest if name.startswith(PREFIX)]:
        del rest[name]
    return rest.urlencode()
