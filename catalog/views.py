from django.conf import settings
from django.db.models import Prefetch, Q
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.template.loader import render_to_string
from django.utils.translation import get_language
from django.views.decorators.cache import cache_control
from django.views.decorators.http import condition

from catalog import cache as catalog_cache
from catalog import search as search_text
from catalog.forms import ListingForm, apply_filters
from catalog.models import Category, Offer, Product, Review, Seller
from catalog.pagination import paginate

PAGE_SIZE = 24
REVIEWS_SHOWN = 20
# pg_trgm word similarity of the query to a product's search document:
# results at SEARCH_THRESHOLD or above; below that, when nothing matches,
# "close matches" down to CLOSE_MATCH_THRESHOLD.
SEARCH_THRESHOLD = 0.45
CLOSE_MATCH_THRESHOLD = 0.25
CLOSE_MATCH_COUNT = 8
# The session key of the cart count the header shows (orders.cart keeps it;
# catalog imports nothing from orders).
CART_COUNT = "cart_count"


def home(request: HttpRequest) -> HttpResponse:
    products = Product.objects.filter(is_active=True)
    # Lazy querysets: the template caches its content per catalogue version
    # and language, so a cached home page runs none of them.
    return render(request, "catalog/home.html", {
        "catalog_version": catalog_cache.version(), "cache_timeout": catalog_cache.TIMEOUT,
        "categories": Category.objects.filter(parent=None),
        "featured": products.filter(is_featured=True).order_by("-units_sold", "id")[:8],
        "newest": products.order_by("-created_at", "-id")[:8],
        "dishes": products.filter(fresh_minutes__isnull=False, in_stock=True).order_by("best_price", "id")[:8],
    })


def category(request: HttpRequest, slug: str) -> HttpResponse:
    category, children = catalog_cache.get_or_build(catalog_cache.version(), ("category", slug), lambda: (
        _category_with_children(slug)))
    if category is None:
        raise Http404
    # The tree is at most three levels deep: the category, children, grandchildren.
    descendants = Category.objects.filter(Q(pk=category.pk) | Q(parent=category) | Q(parent__parent=category))
    return render(request, "catalog/category.html", {
        "category": category, "children": children,
        **_listing(request, ("category", category.pk), lambda: Product.objects.listed().filter(
            category__in=descendants), ListingForm(request.GET)),
    })


def _category_with_children(slug: str) -> tuple[Category | None, list[Category]]:
    category = Category.objects.select_related("parent").filter(slug=slug).first()
    return category, list(category.children.all()) if category else []


def search(request: HttpRequest) -> HttpResponse:
    raw_query = request.GET.get("q", "")[: search_text.MAX_QUERY_LENGTH].strip()
    query = search_text.normalise(raw_query)
    context = {"query": raw_query}
    if query:
        # Keyed by the normalised query: 랭면 and 냉면 share their results.
        context.update(_listing(request, ("search", query), lambda: Product.objects.listed().matching(
            query, threshold=SEARCH_THRESHOLD), ListingForm(request.GET, search=True)))
        if not context["products"]:
            # Nothing at the usual threshold: offer what is close.
            context["close_matches"] = catalog_cache.get_or_build(
                context["catalog_version"], ("close", query), lambda: list(
                    Product.objects.listed().matching(query, threshold=CLOSE_MATCH_THRESHOLD)
                    .order_by("-rank", "id")[:CLOSE_MATCH_COUNT]))
    if not context.get("products"):
        context["categories"] = Category.objects.filter(parent=None)
    return render(request, "catalog/search.html", context)


def seller(request: HttpRequest, slug: str) -> HttpResponse:
    seller = catalog_cache.get_or_build(catalog_cache.version(), ("seller", slug), lambda: (
        Seller.objects.filter(slug=slug, is_active=True).first()))
    if seller is None:
        raise Http404
    return render(request, "catalog/seller.html", {
        "seller": seller, **_listing(request, ("seller", seller.pk), lambda: apply_filters(
            Product.objects.listed(), {"seller": seller}), ListingForm(request.GET, seller_page=True)),
    })


def _product_etag(request: HttpRequest, slug: str) -> str:
    # No query: the catalogue version changes with any price, stock, offer or
    # review; the rest is what else the page shows to this visitor (language,
    # cart count in the header, the CSRF cookie its forms' tokens come from).
    visitor = (slug, get_language(), request.user.pk if request.user.is_authenticated else None,
               request.session.get(CART_COUNT), request.COOKIES.get(settings.CSRF_COOKIE_NAME))
    return catalog_cache.key(catalog_cache.version(), *visitor).removeprefix("catalog:").replace(":", "-")


# Private: the header and the forms are this visitor's; no-cache: the
# browser asks again every time, and a 304 answers when nothing changed.
@cache_control(private=True, no_cache=True)
@condition(etag_func=_product_etag)
def product(request: HttpRequest, slug: str) -> HttpResponse:
    # The product with its offers, reviews and media, cached per catalogue
    # version: building these queries costs more than running them.
    product = catalog_cache.get_or_build(catalog_cache.version(), ("product", slug), lambda: (
        Product.objects.select_related("category").prefetch_related(
            "media",
            Prefetch(
                "offers",
                queryset=Offer.objects.filter(is_active=True, seller__is_active=True)
                .select_related("seller").order_by("price", "id"),
                to_attr="live_offers",
            ),
            Prefetch(
                "reviews",
                queryset=Review.objects.filter(is_hidden=False).select_related("author", "seller")
                # Not the password hash: this goes into the shared cache.
                .defer("author__password")
                .order_by("-created_at", "-id")[:REVIEWS_SHOWN],
                to_attr="visible_reviews",
            ),
        )
        .filter(slug=slug, is_active=True).first()
    ))
    if product is None:
        raise Http404
    return render(request, "catalog/product.html", {"product": product})


def _listing(request: HttpRequest, scope: tuple, products, form: ListingForm) -> dict:
    """The context of a filtered, sorted, keyset-paginated product list of
    ``products()``; the page and its rendered grid are cached for the
    catalogue version, the scope (category, seller, search), the filters,
    the cursor and the language."""
    filters = form.cleaned()
    sort = form.sort_order(filters)
    after, before = request.GET.get("after"), request.GET.get("before")

    def build():
        page = paginate(apply_filters(products(), filters), sort, after=after, before=before, size=PAGE_SIZE)
        return page, render_to_string("catalog/_product_grid.html", {"products": page.items})

    catalog_version = catalog_cache.version()
    page, grid = catalog_cache.get_or_build(catalog_version, (
        scope, sorted((name, getattr(value, "pk", value)) for name, value in filters.items()), sort,
        after, before, get_language(),
    ), build)
    query = request.GET.copy()
    for cursor in ("page", "after", "before"):
        query.pop(cursor, None)
    if "q" in query:
        query["q"] = query["q"][: search_text.MAX_QUERY_LENGTH]
    # The filter form renders its widgets through templates, the costliest
    # part of a cached listing: its HTML is cached too, per query string.
    filters_key = catalog_cache.key(catalog_version, "filters", sorted(form.fields), sorted(query.lists()),
                                    get_language())
    return {"form": form, "page": page, "products": page.items, "grid": grid, "query_string": query.urlencode(),
            "catalog_version": catalog_version, "filters_key": filters_key, "cache_timeout": catalog_cache.TIMEOUT}
