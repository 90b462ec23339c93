"""Why a search found a product, for its card."""

from django import template

from catalog.finder import Match

register = template.Library()


@register.filter
def tier(product) -> Match:
    """The tier of a product finder.products found (Match.of); read in the
    template, so the page's products, which the cache keeps, are not changed."""
    return Match.of(product)
