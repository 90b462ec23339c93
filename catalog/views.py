from django.core.paginator import Paginator
from django.db.models import Prefetch, Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render

from catalog.forms import ListingForm, apply_filters
from catalog.models import Category, Offer, Product, Review, Seller

PAGE_SIZE = 24
REVIEWS_SHOWN = 20


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
    descendants = Category.objects.filter(Q(pk=category.pk) | Q(parent=category) | Q(parent__parent=category))
    products = Product.objects.filter(is_active=True, category__in=descendants)
    return _listing(request, "catalog/category.html", products, {
        "category": category, "children": category.children.all(),
    })


def search(request: HttpRequest) -> HttpResponse:
    query = request.GET.get("q", "")[:100].strip()
    products = Product.objects.filter(is_active=True)
    if query:
        products = products.filter(Q(name_ko__icontains=query) | Q(name_en__icontains=query))
    else:
        products = products.none()
    return _listing(request, "catalog/search.html", products, {"query": query})


def seller(request: HttpRequest, slug: str) -> HttpResponse:
    seller = get_object_or_404(Seller, slug=slug, is_active=True)
    products = Product.objects.filter(is_active=True, offers__seller=seller, offers__is_active=True)
    return _listing(request, "catalog/seller.html", products, {"seller": seller})


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


def _listing(request: HttpRequest, template: str, products, context: dict) -> HttpResponse:
    form = ListingForm(request.GET)
    filters = form.cleaned()
    page = Paginator(apply_filters(products, filters), PAGE_SIZE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return render(request, template, {
        **context, "form": form, "page": page, "products": page.object_list, "query_string": query.urlencode(),
    })
