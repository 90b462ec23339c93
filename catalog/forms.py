from django import forms
from django.utils.translation import gettext_lazy as _

from catalog.models import Seller

SORTS = {
    "cheapest": ("best_price", "id"),
    "priciest": ("-best_price", "-id"),
    "rating": ("-rating", "-id"),
    "bestselling": ("-units_sold", "-id"),
    "newest": ("-created_at", "-id"),
}


class ListingForm(forms.Form):
    """The filters and sort of a product list, read from the query string.
    Anything invalid is dropped, so a bad link still shows a sensible page."""

    q = forms.CharField(label=_("Search"), max_length=100, required=False)
    sort = forms.ChoiceField(
        label=_("Sort"), required=False,
        choices=[
            ("cheapest", _("Cheapest")),
            ("priciest", _("Most expensive")),
            ("rating", _("Best rated")),
            ("bestselling", _("Best selling")),
            ("newest", _("Newest")),
        ],
    )
    price_min = forms.IntegerField(label=_("Price from"), min_value=0, required=False)
    price_max = forms.IntegerField(label=_("Price to"), min_value=0, required=False)
    kind = forms.ChoiceField(label=_("Seller kind"), choices=[("", _("Any"))] + Seller.Kind.choices, required=False)
    in_stock = forms.BooleanField(label=_("In stock only"), required=False)
    rating = forms.TypedChoiceField(
        label=_("Rating"), coerce=int, required=False, empty_value=None,
        choices=[("", _("Any")), (4, _("4★ and up")), (3, _("3★ and up"))],
    )

    def cleaned(self) -> dict:
        """The valid fields only: an invalid value is treated as absent."""
        self.is_valid()
        return {name: value for name, value in self.cleaned_data.items() if value not in (None, "", False)}


def apply_filters(products, filters: dict):
    if "price_min" in filters:
        products = products.filter(best_price__gte=filters["price_min"])
    if "price_max" in filters:
        products = products.filter(best_price__lte=filters["price_max"])
    if "kind" in filters:
        products = products.filter(offers__seller__kind=filters["kind"], offers__is_active=True).distinct()
    if filters.get("in_stock"):
        products = products.filter(in_stock=True)
    if "rating" in filters:
        products = products.filter(rating__gte=filters["rating"])
    return products.order_by(*SORTS[filters.get("sort", "cheapest")])
