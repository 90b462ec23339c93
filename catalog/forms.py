from django import forms
from django.db.models import Exists, OuterRef
from django.utils.translation import gettext_lazy as _

from catalog.models import Offer, Seller
from catalog.pagination import Sort

SORTS = {
    "cheapest": Sort("best_price"),
    "priciest": Sort("best_price", descending=True),
    "rating": Sort("rating", descending=True),
    "bestselling": Sort("units_sold", descending=True),
    "newest": Sort("created_at", descending=True),
    # The best score among the product's sellers: a product sold by one
    # trusted seller comes before one sold only by new or poor ones.
    "seller_score": Sort("best_seller_score", descending=True),
}
# Search results: the rank annotation of ProductQuerySet.matching.
RELEVANCE = "relevance"
SORTS_WITH_RELEVANCE = {RELEVANCE: Sort("rank", descending=True), **SORTS}
SORT_CHOICES = [
    ("cheapest", _("Cheapest")),
    ("priciest", _("Most expensive")),
    ("rating", _("Best rated")),
    ("bestselling", _("Best selling")),
    ("newest", _("Newest")),
    ("seller_score", _("Best seller score")),
]


class ListingForm(forms.Form):
    """The filters and sort of a product list, read from the query string.
    Anything invalid is dropped, so a bad link still shows a sensible page."""

    sort = forms.ChoiceField(label=_("Sort"), required=False, choices=SORT_CHOICES)
    price_min = forms.IntegerField(label=_("Price from"), min_value=0, max_value=2**31 - 1, required=False)
    price_max = forms.IntegerField(label=_("Price to"), min_value=0, max_value=2**31 - 1, required=False)
    # Hotels and inns sell stays, not products: a city's thousand lodgings
    # made the seller list 50 KB of every catalogue page.
    seller = forms.ModelChoiceField(
        label=_("Seller"), queryset=Seller.objects.filter(is_active=True).exclude(kind=Seller.Kind.LODGING),
        to_field_name="slug", required=False, empty_label=_("Any"),
    )
    kind = forms.ChoiceField(label=_("Seller kind"), required=False, choices=[("", _("Any"))] + [
        (kind, label) for kind, label in Seller.Kind.choices if kind != Seller.Kind.LODGING])
    in_stock = forms.BooleanField(label=_("In stock only"), required=False)
    rating = forms.TypedChoiceField(
        label=_("Rating"), coerce=int, required=False, empty_value=None,
        choices=[("", _("Any")), (4, _("4★ and up")), (3, _("3★ and up"))],
    )

    def __init__(self, data, *, search: bool = False, seller_page: bool = False):
        super().__init__(data)
        self.default_sort = RELEVANCE if search else "cheapest"
        # A seller's page prices, sorts and filters by that seller's own
        # price (the ``own_price`` annotation), not the best of all sellers.
        self.price_key = "own_price" if seller_page else "best_price"
        if search:
            self.fields["sort"].choices = [(RELEVANCE, _("Best match")), *SORT_CHOICES]
        if seller_page:
            # One seller's products: the seller's score is the same for all.
            del self.fields["seller"]
            self.fields["sort"].choices = [choice for choice in SORT_CHOICES if choice[0] != "seller_score"]

    def cleaned(self) -> dict:
        """The valid fields only: an invalid value is treated as absent."""
        self.is_valid()
        return {name: value for name, value in self.cleaned_data.items() if value not in (None, "", False)}

    def sort_order(self, filters: dict) -> Sort:
        sort = SORTS_WITH_RELEVANCE[filters.get("sort", self.default_sort)]
        return Sort(self.price_key, sort.descending) if sort.key == "best_price" else sort


def apply_filters(products, filters: dict, *, price_key: str = "best_price"):
    """``products`` narrowed by the cleaned filters of a ListingForm, prices
    compared on ``price_key``."""
    if "price_min" in filters:
        products = products.filter(**{f"{price_key}__gte": filters["price_min"]})
    if "price_max" in filters:
        products = products.filter(**{f"{price_key}__lte": filters["price_max"]})
    if "seller" in filters or "kind" in filters:
        # EXISTS rather than a join: no duplicate rows to DISTINCT away, and
        # the product index keeps giving the sort order.
        offers = Offer.objects.filter(product=OuterRef("pk"), is_active=True, seller__is_active=True)
        if "seller" in filters:
            offers = offers.filter(seller=filters["seller"])
        if "kind" in filters:
            offers = offers.filter(seller__kind=filters["kind"])
        products = products.filter(Exists(offers))
    if filters.get("in_stock"):
        products = products.filter(in_stock=True)
    if "rating" in filters:
        products = products.filter(rating__gte=filters["rating"])
    return products
