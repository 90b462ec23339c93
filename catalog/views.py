from django.db.models import Prefetch, Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render

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


def home(request: HttpRequest) -> HttpResponse:
    products = Product.objects.filter(is_active=True)
    return render(request, "catalog/home.html", {
        "categories": Category.objects.filter(parent=None),
        "featured": products.filter(is_featured=True).order_by("-units_sold", "id")[:8],
        "newest": products.order_by("-created_at", "-id")[:8],
        "dishes": products.filter(fresh_minutes__isnull=False, in_stock=True).order_by("best_price", "id")[:8],
    })


def category(request: HttpRequest, slug: str) -> HttpResponse:
    category = get_object_or_404(Category.objects.select_related("parent"), slug=slug)
    # The tree is at most three levels deep: the category, children, grandchildren.
    descendants = Category.objects.filter(Q(pk=category.pk) | Q(parent=category) | Q(parent__parent=category))
    products = Product.objects.listed().filter(category__in=descendants)
    return render(request, "catalog/category.html", {
        "category": category, "children": category.children.all(),
        **_listing(request, products, ListingForm(request.GET)),
    })


def search(request: HttpRequest) -> HttpResponse:
    raw_query = request.GET.get("q", "")[: search_text.MAX_QUERY_LENGTH].strip()
    query = search_text.normalise(raw_query)
    context = {"query": raw_query}
    if query:
        products = Product.objects.listed().matching(query, threshold=SEARCH_THRESHOLD)
        context.update(_listing(request, products, ListingForm(request.GET, search=True)))
        if not context["products"]:
            # Nothing at the usual threshold: offer what is close.
            close = Product.objects.listed().matching(query, threshold=CLOSE_MATCH_THRESHOLD)
            context["close_matches"] = close.order_by("-rank", "id")[:CLOSE_MATCH_COUNT]
    if not context.get("products"):
        context["categories"] = Category.objects.filter(parent=None)
    return render(request, "catalog/search.html", context)


def seller(request: HttpRequest, slug: str) -> HttpResponse:
    seller = get_object_or_404(Seller, slug=slug, is_active=True)
    products = apply_filters(Product.objects.listed(), {"seller": seller})
    return render(request, "catalog/seller.html", {
        "seller": seller, **_listing(request, products, ListingForm(request.GET, seller_page=True)),
    })


def product(request: HttpRequest, slug: str) -> HttpResponse:
    product = get_object_or_404(
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
                .order_by("-created_at", "-id")[:REVIEWS_SHOWN],
                to_attr="visible_reviews",
            ),
        ),
        slug=slug, is_active=True,
    )
    return render(request, "catalog/product.html", {"product": product})


def _listing(request: HttpRequest, products, form: ListingForm) -> dict:
    """The context of a filtered, sorted, keyset-paginated product list."""
    filters = form.cleaned()
    page = paginate(
        apply_filters(products, filters), form.sort_order(filters),
        after=request.GET.get("after"), before=request.GET.get("before"), size=PAGE_SIZE,
    )
    query = request.GET.copy()
    for cursor in ("page", "after", "before"):
        query.pop(cursor, None)
    if "q" in query:
        query["q"] = query["q"][: search_text.MAX_QUERY_LENGTH]
    return {"form": form, "page": page, "products": page.items, "query_string": query.urlencode()}
