"""What a search finds: the sellers and categories a query names, and the
products, ranked so that a customer can follow why one comes before another.

A product's ``tier`` says why it is there, best first:

* EXACT: its whole name is the query (랭면 for 랭면 or 냉면);
* SELLER: the query names a seller and this is that seller's product (the
  rest of the query, if any, matching its name: 옥류관 랭면);
* NAME: its name is like the query;
* CATEGORY: it is in the category the query names (의약품, shoes);
* DESCRIPTION: only its description is like the query.

``rank`` orders the list: the tier, plus half the similarity of the name (of
the description for DESCRIPTION; none for a seller's or a category's
products as a whole) to 0.01, plus a tie-break below 0.005: more units sold
first (in steps of 100·n/(n+100), which grow finer where sales are few),
then the higher rating. One number, so that the keyset pagination pages on
it like on any other sort key.

Names are compared after catalog.search.normalise, so sellers and
categories get the same dialect and romanisation folding as products.
"""

from dataclasses import dataclass

from django.contrib.postgres.search import TrigramWordSimilarity
from django.db import models
from django.db.models import Case, F, OuterRef, Q, Subquery, Value, When
from django.db.models.expressions import RawSQL
from django.db.models.functions import Cast, Floor, Greatest
from django.db.models.lookups import GreaterThanOrEqual
from django.utils.translation import gettext as _

from catalog.models import Category, Offer, Product, Seller, use_similarity_threshold

# pg_trgm word similarity of a query to a product's names or description:
# results at SEARCH_THRESHOLD or above; below that, when nothing matches,
# "close matches" down to CLOSE_MATCH_THRESHOLD.
SEARCH_THRESHOLD = 0.45
CLOSE_MATCH_THRESHOLD = 0.25
CLOSE_MATCH_COUNT = 8
# A query word names a seller or a category from this similarity up: names
# are short, and naming one changes what the page leads with.
NAME_THRESHOLD = 0.6
# Sellers named much less well than the best one are left out: Okryukwan
# is also most of Chongryugwan, but names only the first.
SELLER_MARGIN = 0.1
# The words of a query looked up as seller and category names.
NAME_WORDS = 5
SELLERS_SHOWN = 3
CATEGORIES_SHOWN = 4
SUGGESTIONS = 8


class Match(models.IntegerChoices):
    DESCRIPTION = 0
    CATEGORY = 1
    NAME = 2
    SELLER = 3
    EXACT = 4

    @classmethod
    def of(cls, product: Product) -> "Match":
        """Why a product that products() found is there: its rank's whole part."""
        return cls(int(product.rank))


@dataclass
class Named:
    """The sellers and categories a query names, best first, and the query
    without the words that name the first seller."""

    sellers: list[Seller]
    categories: list[Category]
    rest: str


class InArray(models.Func):
    """``column = ANY(ARRAY(subquery))``: PostgreSQL runs the subquery once
    and can still use the column's index inside an OR, where ``IN
    (subquery)`` would become a filter run on every row of the table."""

    output_field = models.BooleanField()

    def __init__(self, column: str, queryset):
        super().__init__(F(column), Subquery(queryset))

    def as_sql(self, compiler, connection, **extra):
        column, subquery = (compiler.compile(expression) for expression in self.get_source_expressions())
        return f"{column[0]} = ANY(ARRAY{subquery[0]})", (*column[1], *subquery[1])


class RankedOnce(models.Func):
    """``(SELECT expression FROM (SELECT similarity AS name, … OFFSET 0) AS
    ranks)``: an expression that reads each named similarity as
    ``ranks.<name>`` several times, with each computed once a row.
    PostgreSQL computes a repeated expression every time it appears, and
    would inline the names back without the OFFSET 0."""

    output_field = models.FloatField()

    def __init__(self, expression, **similarities):
        self.names = list(similarities)
        super().__init__(expression, *similarities.values())

    def as_sql(self, compiler, connection, **extra):
        (expression, *similarities) = (compiler.compile(source) for source in self.get_source_expressions())
        named_list = ", ".join(f"{sql} AS {name}" for (sql, _), name in zip(similarities, self.names, strict=True))
        params = (*expression[1], *(param for _, params in similarities for param in params))
        return f"(SELECT {expression[0]} FROM (SELECT {named_list} OFFSET 0) AS ranks)", params


def named(query: str) -> Named:
    """The active sellers and the categories that words of the normalised
    ``query`` name: three queries, whatever the query. Hotels and inns sell
    no products (the stays search finds them): a word that names one stays
    a word of the product query."""
    words = query.split()
    use_similarity_threshold(Seller.objects.db, SEARCH_THRESHOLD)
    sellers = list(Seller.objects.filter(is_active=True).exclude(kind=Seller.Kind.LODGING)
                   .named(query, words=NAME_WORDS, threshold=NAME_THRESHOLD)
                   .order_by("-rank", "-similarity", "-rating", "pk")[:SELLERS_SHOWN])
    sellers = [seller for seller in sellers if seller.rank >= sellers[0].rank - SELLER_MARGIN]
    categories = list(Category.objects.named(query, words=NAME_WORDS, threshold=NAME_THRESHOLD)
                      .order_by("-rank", "-similarity", "position", "pk")[:CATEGORIES_SHOWN])
    rest = query
    if sellers:
        naming = sellers[0].word_ranks
        rest = " ".join(word for i, word in enumerate(words) if i >= len(naming) or naming[i] < NAME_THRESHOLD)
    return Named(sellers, categories, rest)


def products(query: str, found: Named):
    """The listed products the normalised ``query`` finds, annotated with
    ``rank`` (Match.of tells its tier) and, when it names a seller,
    ``seller_price`` (that seller's price, None where it does not sell the
    product). Lazy; one query when evaluated, after the one that sets the
    threshold now."""
    use_similarity_threshold(Product.objects.db, SEARCH_THRESHOLD)
    texts = [query] + ([found.rest] if found.rest and found.rest != query else [])
    matches = Q(search_description__trigram_word_similar=query)
    for text in texts:
        matches |= Q(search_text__trigram_word_similar=text)
    name_ranks = [TrigramWordSimilarity(Value(text), "search_text") for text in texts]
    # Read by name inside RankedOnce, which computes it once a row.
    name_rank = RawSQL("ranks.name_rank", ())
    named_well = GreaterThanOrEqual(name_rank, SEARCH_THRESHOLD)
    rows = Product.objects.listed()
    # (condition, tier, similarity ranking within the tier), in the order they are tried.
    no_similarity = Value(0.0)
    exact = Q(search_names__contains=[query])
    tiers = [(exact, Match.EXACT, name_rank)]
    whole_seller = None
    if found.sellers:
        seller = found.sellers[0]
        rows = rows.annotate(seller_price=Subquery(
            Offer.objects.filter(product=OuterRef("pk"), seller=seller, is_active=True).values("price")[:1]))
        if found.rest:
            tiers.append((Q(seller_price__isnull=False) & Q(named_well), Match.SELLER, name_rank))
        else:
            # Joined as a set: in ``= ANY(ARRAY(…))`` PostgreSQL checks a
            # row against the array one element at a time, 170,000 × 170,000
            # for a seller of a million-product catalogue.
            seller_products = seller.offers.filter(is_active=True).order_by().values("product_id")
            # Ranked outside RankedOnce: a seller's products need no similarity.
            whole_seller = Q(seller_price__isnull=False) & ~exact
    tiers.append((Q(named_well), Match.NAME, name_rank))
    if found.categories:
        category = found.categories[0]
        in_category = InArray("category", Category.objects.within(category).values("pk"))
        matches |= Q(in_category)
        tiers.append((Q(in_category), Match.CATEGORY, no_similarity))
    sales = Cast("units_sold", models.FloatField())
    tie_break = Floor(sales * 100 / (sales + 100)) * 0.00004 + Cast("rating", models.FloatField()) * 0.000006
    rank = Case(
        *(When(condition, then=Value(float(tier)) + Floor(similarity * 100) / 200)
          for condition, tier, similarity in tiers),
        default=Floor(TrigramWordSimilarity(Value(query), "search_description") * 100) / 200,
        output_field=models.FloatField(),
    )
    rank = RankedOnce(rank, name_rank=Greatest(*name_ranks) if len(name_ranks) > 1 else name_ranks[0])
    if whole_seller is not None:
        rank = Case(When(whole_seller, then=Value(float(Match.SELLER))), default=rank)
        matches = Q(pk__in=Product.objects.filter(matches).order_by().values("pk").union(seller_products))
    return rows.filter(matches).annotate(rank=rank + tie_break)


def close_matches(query: str) -> list[Product]:
    """When nothing matches: the products whose names come closest."""
    return list(Product.objects.listed().matching(query, threshold=CLOSE_MATCH_THRESHOLD)
                .order_by("-rank", "id")[:CLOSE_MATCH_COUNT])


def suggestions(query: str) -> list[dict]:
    """Up to SUGGESTIONS things to go to for the normalised ``query``, as
    the suggestion endpoint sends them: the sellers it names, then the
    categories, then the best-ranked products. Five queries."""
    found = named(query)
    items = [{"kind": "seller", "label": seller.get_kind_display(), "name": seller.name,
              "url": seller.get_absolute_url()} for seller in found.sellers]
    items += [{"kind": "category", "label": _("Category"), "name": category.name,
               "url": category.get_absolute_url()} for category in found.categories]
    items = items[:SUGGESTIONS]
    if len(items) < SUGGESTIONS:
        items += [{"kind": "product", "label": _("Product"), "name": product.name,
                   "url": product.get_absolute_url()}
                  for product in products(query, found).order_by("-rank", "-id")[:SUGGESTIONS - len(items)]]
    return items
