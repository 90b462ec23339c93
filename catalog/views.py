from datetime import datetime
from functools import cache
from typing import NamedTuple

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.db.models import Exists, F, OuterRef
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect, JsonResponse, QueryDict
from django.shortcuts import get_object_or_404, redirect, render
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.cache import cache_control
from django.views.decorators.http import condition, require_POST

from catalog import cache as catalog_cache
from catalog import facets, finder, hours, prices, product_page, scores, wishes
from catalog import search as search_text
from catalog.forms import ListingForm, apply_filters
from catalog.models import Category, Offer, Product, ProductMedia, Seller, WishItem
from catalog.offers import offer_marks
from catalog.pagination import paginate
from okryu.db import reads_replica

PAGE_SIZE = 24
REVIEWS_SHOWN = 20
# The shortest normalised query the suggestions look up.
SUGGEST_FROM = 2
# The session key of the cart count the header shows (orders.cart keeps it;
# catalog imports nothing from orders).
CART_COUNT = "cart_count"
# What a listing reads from the query string besides the attribute filters
# (each a single value, at most search.MAX_QUERY_LENGTH long).
LISTING_PARAMS = ("q", *ListingForm.base_fields, "after", "before")


class Content(NamedTuple):
    """What a catalogue page caches: its title and HTML, and, when the HTML
    says who is open, the moment that stops being true."""

    title: str
    html: str
    true_until: datetime | None = None


@reads_replica
def home(request: HttpRequest) -> HttpResponse:
    return _page(request, ("home",), lambda catalog_version: _home_content())


def _home_content() -> Content:
    now = timezone.now()
    kitchens = hours.schedules(None, around=now)
    closed = [pk for pk, kitchen in kitchens.items() if not kitchen.is_open(now)]
    products = Product.objects.filter(is_active=True)
    cooking_now = Offer.objects.filter(product=OuterRef("pk"), is_active=True, stock__gt=0,
                                       seller__is_active=True).exclude(seller__in=closed)
    return Content(_("Home"), catalog_cache.render_content("catalog/_home.html", {
        "categories": Category.objects.filter(parent=None),
        "featured": products.filter(is_featured=True).order_by("-units_sold", "id")[:8],
        "newest": products.order_by("-created_at", "-id")[:8],
        "dishes": products.filter(Exists(cooking_now), fresh_minutes__isnull=False, in_stock=True)
        .order_by("best_price", "id")[:8],
    }), hours.soonest_change(kitchens.values(), at=now))


@reads_replica
def category(request: HttpRequest, slug: str) -> HttpResponse:
    query = _listing_query(request, attributes=True)
    return _page(request, ("category", slug, _params(query)),
                 lambda catalog_version: _category_content(request, slug, query, catalog_version))


def _category_content(request: HttpRequest, slug: str, query: QueryDict, catalog_version: int) -> Content | None:
    # The category and its ancestors, root first: a path extends its parent's.
    ancestry = sorted(Category.objects.ancestry(slug), key=lambda row: len(row.path))
    if not ancestry:
        return None
    category = ancestry[-1]
    return Content(category.name, catalog_cache.render_content("catalog/_category.html", {
        "category": category, "ancestors": ancestry[:-1], "children": list(category.children.all()),
        **_listing(request, catalog_version, ("category", category.pk), lambda: Product.objects.listed().filter(
            category__in=Category.objects.within(category)), ListingForm(query), query, faceted=True),
    }))


@reads_replica
def search(request: HttpRequest) -> HttpResponse:
    query = _listing_query(request, attributes=True)
    raw_query = query.get("q", "").strip()
    return _page(request, ("search", _params(query)), lambda catalog_version: Content(
        _("Search"), catalog_cache.render_content("catalog/_search.html", _search_context(
            request, raw_query, query, catalog_version))), query=raw_query)


def _search_context(request: HttpRequest, raw_query: str, listing_query: QueryDict, catalog_version: int) -> dict:
    query = search_text.normalise(raw_query)
    context = {"query": raw_query, "match": finder.Match}
    if query:
        found = finder.named(query)
        context.update(sellers=found.sellers, named_categories=found.categories,
                       named_seller=found.sellers[0] if found.sellers else None)
        # Keyed by the normalised query: 랭면 and 냉면 share their results.
        context.update(_listing(request, catalog_version, ("search", query), lambda: finder.products(query, found),
                                ListingForm(listing_query, search=True), listing_query, faceted=True))
        if not context["products"]:
            # Nothing at the usual threshold: offer what is close.
            context["close_matches"] = catalog_cache.get_or_build(
                catalog_version, ("close", query), lambda: finder.close_matches(query))
    if not context.get("products"):
        context["categories"] = Category.objects.filter(parent=None)
    return context


@reads_replica
def suggest(request: HttpRequest) -> JsonResponse:
    """Up to eight suggestions for what is typed in the search box, as JSON;
    the same for everyone, cached for the catalogue version."""
    raw_query = request.GET.get("q", "")
    if len(raw_query) > search_text.MAX_QUERY_LENGTH:
        return JsonResponse({"error": _("The search text is too long: at most %(limit)d characters.") % {
            "limit": search_text.MAX_QUERY_LENGTH}}, status=400)
    query = search_text.normalise(raw_query)
    # Fewer than two letters (one jamo-decomposed syllable has three) would match almost anything.
    suggestions = catalog_cache.get_or_build(_catalog_version(request), ("suggest", query, get_language()), lambda: (
        finder.suggestions(query) if len(query) >= SUGGEST_FROM else []))
    return JsonResponse({"query": raw_query, "suggestions": suggestions})


@reads_replica
def seller(request: HttpRequest, slug: str) -> HttpResponse:
    query = _listing_query(request, attributes=False)
    return _page(request, ("seller", slug, _params(query)),
                 lambda catalog_version: _seller_content(request, slug, query, catalog_version))


def _seller_content(request: HttpRequest, slug: str, query: QueryDict, catalog_version: int) -> Content | None:
    seller = Seller.objects.select_related("score").filter(slug=slug, is_active=True).first()
    if seller is None:
        return None
    # The join on the seller's one offer (unique per product and seller)
    # gives each product once, with that seller's price and stock.
    own_offers = Product.objects.listed().filter(
        offers__seller=seller, offers__is_active=True,
    ).annotate(own_price=F("offers__price"), own_stock=F("offers__stock"))
    return Content(seller.name, catalog_cache.render_content("catalog/_seller.html", {
        "seller": seller, "opening_hours": seller.opening_hours.all(),
        **_listing(request, catalog_version, ("seller", seller.pk), lambda: own_offers,
                   ListingForm(query, seller_page=True), query),
    }))


@reads_replica
def seller_score(request: HttpRequest, slug: str) -> HttpResponse:
    """What the seller's score is made of: aggregates only, the same for everyone."""
    return _page(request, ("seller score", slug), lambda catalog_version: _seller_score_content(slug))


def _seller_score_content(slug: str) -> Content | None:
    seller = Seller.objects.select_related("score").filter(slug=slug, is_active=True).first()
    if seller is None:
        return None
    # No row before the job first counted this seller (the reverse one-to-one raises an AttributeError).
    score = getattr(seller, "score", None)
    return Content(_("Seller score of %(seller)s") % {"seller": seller.name}, catalog_cache.render_content(
        "catalog/_seller_score.html", {
            "seller": seller, "score": score, "shares": scores.percentages(score) if score else {},
            "min_orders": settings.SELLER_SCORE_MIN_ORDERS, "days": score.days if score else settings.SELLER_SCORE_DAYS,
            "prior_stars": scores.PRIOR_STARS, "prior_reviews": scores.PRIOR_REVIEWS,
        }))


def _product_etag(request: HttpRequest, slug: str) -> str:
    # The catalogue and stock versions change with any price, stock, offer
    # or review; the content's end of truth tells a page from before a kitchen opened
    # or closed from one after (the cached content is read, or built, here
    # once for both); the rest is what else the page shows to this visitor
    # (language, cart and unread-notice counts in the header, the CSRF
    # cookie its forms' tokens come from). The unread count is read with the
    # user's row.
    page = _cached_page(request, _product_parts(request, slug), lambda catalog_version: _product_content(slug))
    visitor = (slug, _stock_version(request), page and page.true_until, _wish_state(request, slug), get_language(),
               request.user.pk if request.user.is_authenticated else None,
               getattr(request.user, "unread_notices", None), request.session.get(CART_COUNT),
               request.COOKIES.get(settings.CSRF_COOKIE_NAME))
    return catalog_cache.key(_catalog_version(request), *visitor).removeprefix("catalog:").replace(":", "-")


# Private: the header and the forms are this visitor's; no-cache: the
# browser asks again every time, and a 304 answers when nothing changed.
@reads_replica
@cache_control(private=True, no_cache=True)
@condition(etag_func=_product_etag)
def product(request: HttpRequest, slug: str) -> HttpResponse:
    return _page(request, _product_parts(request, slug), lambda catalog_version: _product_content(slug),
                 visitor_part=lambda in_stock: render_to_string("catalog/_wish.html", {
                     "in_stock": in_stock, "watching": _wish_state(request, slug), "slug": slug}, request=request))


# Captions change only with an edit, and the page's <track> asks again at
# most an hour later; a caption file is text, so it may not run anything.
@cache_control(public=True, max_age=3600)
def captions(request: HttpRequest, pk: int, language: str) -> HttpResponse:
    """A video's WebVTT captions in ``language`` (ko or en), for its <track>."""
    if language not in ("ko", "en"):
        raise Http404
    media = get_object_or_404(ProductMedia.objects.only(f"captions_{language}"), pk=pk, product__is_active=True)
    text = getattr(media, f"captions_{language}")
    if not text:
        raise Http404
    return HttpResponse(text, content_type="text/vtt; charset=utf-8",
                        headers={"Content-Security-Policy": "default-src 'none'; sandbox"})


def _wish_state(request: HttpRequest, slug: str) -> bool | None:
    """Whether this visitor watches the product on their wish list (None:
    it is not on it); one query for a logged-in visitor, read once per
    request. Never in the cached content: it is this visitor's own."""
    if not request.user.is_authenticated:
        return None
    if not hasattr(request, "wish_state"):
        request.wish_state = WishItem.objects.filter(user=request.user, product__slug=slug).values_list(
            "watching", flat=True).first()
    return request.wish_state


@login_required
def wish_list(request: HttpRequest) -> HttpResponse:
    items = WishItem.objects.filter(user=request.user, product__is_active=True).select_related("product")
    return render(request, "catalog/wish_list.html", {"items": items})


@require_POST
@login_required
def change_wish(request: HttpRequest, slug: str) -> HttpResponse:
    """Add to the wish list ("add", "watch") or take off it ("remove")."""
    product = get_object_or_404(Product, slug=slug, is_active=True)
    action = request.POST.get("action")
    if action not in ("add", "watch", "remove"):
        return render(request, "catalog/wish_refused.html", {"product": product}, status=400)
    if action == "remove":
        wishes.unwish(user=request.user, product=product)
    else:
        wishes.wish(user=request.user, product=product, watching=action == "watch")
    target = request.POST.get("next", "")
    if url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
        return HttpResponseRedirect(target)
    return redirect(product)


def _product_content(slug: str) -> Content | None:
    now = timezone.now()
    product = product_page.read_product(slug, reviews=REVIEWS_SHOWN, since=now - prices.WINDOW)
    if product is None:
        return None
    kitchens = hours.schedules({offer.seller_id for offer in product.live_offers} if product.is_hot_food else (),
                               around=now)
    for offer in product.live_offers:
        # A dish of a closed kitchen cannot be ordered until it opens.
        kitchen = kitchens.get(offer.seller_id)
        offer.kitchen_opens = None if kitchen is None or kitchen.is_open(now) else kitchen.opens_next(now)
        offer.kitchen_closed = kitchen is not None and not kitchen.is_open(now)
    # What can be bought now first, sold-out offers last.
    product.live_offers.sort(key=lambda offer: (offer.stock == 0, offer.kitchen_closed, offer.price, offer.pk))
    return Content(product.name, catalog_cache.render_content("catalog/_product.html", {
        "product": product, "reviews": product.latest_reviews, "today": timezone.localdate(now),
        **offer_marks([offer for offer in product.live_offers if not offer.kitchen_closed]),
        "trend": prices.price_trend(live_offers=product.live_offers, changes=product.price_history, now=now),
    }), hours.soonest_change(kitchens.values(), at=now))


def _catalog_version(request: HttpRequest) -> int:
    """The catalogue version, read once per request with the stock version
    (the product page's ETag and its content both need them)."""
    if not hasattr(request, "catalog_version"):
        request.catalog_version, request.stock_version = catalog_cache.versions()
    return request.catalog_version


def _stock_version(request: HttpRequest) -> int:
    _catalog_version(request)
    return request.stock_version


def _product_parts(request: HttpRequest, slug: str) -> tuple:
    """What a product page is cached by besides the catalogue version: its
    stock counts change with every sale (catalog.cache)."""
    return ("product", slug, _stock_version(request))


def _cached_page(request: HttpRequest, parts: tuple, build) -> Content | None:
    """The Content of ``build(catalog_version)`` (None for a 404), cached for
    the catalogue version, ``parts`` (with whatever of the query string the
    page reads: see _listing_query) and the language, and until it stops
    being true; read once per request."""
    if not hasattr(request, "catalog_pages"):
        request.catalog_pages = {}
    if parts not in request.catalog_pages:
        catalog_version = _catalog_version(request)
        request.catalog_pages[parts] = catalog_cache.get_or_build(
            catalog_version, (*parts, get_language()), lambda: build(catalog_version),
            still_true=lambda page: page is None or page.true_until is None or timezone.now() < page.true_until)
    return request.catalog_pages[parts]


def _page(request: HttpRequest, parts: tuple, build, *, visitor_part=None, **context) -> HttpResponse:
    """A catalogue page from its cached Content: one cache read, and the
    header and footer rendered around it for this visitor, with
    ``visitor_part(in_stock)`` in place of the content's visitor mark."""
    page = _cached_page(request, parts, build)
    if page is None:
        raise Http404
    html = page.html
    if visitor_part is not None:
        for in_stock in (True, False):
            mark = catalog_cache.visitor_mark(in_stock=in_stock)
            if mark in html:
                html = html.replace(mark, visitor_part(in_stock))
    return render(request, "catalog/page.html", {
        "title": page.title, "content": catalog_cache.for_visitor(request, html), **context,
    })


def _listing_query(request: HttpRequest, *, attributes: bool) -> QueryDict:
    """The part of the query string a listing reads, which alone keys its
    cached page and builds it: the last value of each listing parameter,
    cut to length, and with ``attributes`` the valid attribute filters
    (catalog.facets). Nothing else counts, so no made-up parameter or value
    makes the cache keep another copy of the page."""
    query = QueryDict(mutable=True)
    for name in LISTING_PARAMS:
        if name in request.GET:
            query[name] = request.GET[name][: search_text.MAX_QUERY_LENGTH]
    if attributes and facets.wanted_codes(request.GET):
        for code, keys in facets.selected_values(request.GET, _known_values(request)).items():
            query.setlist(facets.PREFIX + code, list(keys))
    return query


def _params(query: QueryDict) -> tuple:
    """A listing query as part of a cache key."""
    return tuple((name, tuple(values)) for name, values in sorted(query.lists()))


def _known_values(request: HttpRequest) -> dict[str, facets.Known]:
    return catalog_cache.get_or_build(_catalog_version(request), ("attribute values",), facets.known_values)


def _listing(request: HttpRequest, catalog_version: int, scope: tuple, products, form: ListingForm,
             query: QueryDict, *, faceted: bool = False) -> dict:
    """The context of a filtered, sorted, keyset-paginated product list of
    ``products()`` for the listing ``query`` (_listing_query), with the
    attribute facets when ``faceted``; the page and the facet counts are
    cached for the catalogue version, the scope (category, seller,
    normalised search) and the valid filters, the page also for its sort and
    cursor. The facets are counted only when there is something to list or
    an attribute filter to take away."""
    filters = form.cleaned()
    filters_key = sorted((name, getattr(value, "pk", value)) for name, value in filters.items())
    selected = {name.removeprefix(facets.PREFIX): tuple(query.getlist(name))
                for name in query if name.startswith(facets.PREFIX)}
    known = _known_values(request) if selected else {}
    sort = form.sort_order(filters)
    after, before = query.get("after"), query.get("before")

    @cache  # the page and the facets count the same rows; a search's threshold is set once
    def filtered():
        return apply_filters(products(), filters, price_key=form.price_key)

    page = catalog_cache.get_or_build(catalog_version, (scope, filters_key, selected, sort, after, before), lambda: (
        paginate(facets.filter_products(filtered(), selected, known), sort, after=after, before=before,
                 size=PAGE_SIZE)))
    links = query.copy()
    for cursor in ("after", "before"):
        links.pop(cursor, None)
    context = {"form": form, "page": page, "products": page.items, "query_string": links.urlencode(),
               "attribute_filters": [(name, key) for name, keys in links.lists() if name.startswith(facets.PREFIX)
                                     for key in keys]}
    if faceted and (page.items or selected):
        counted = catalog_cache.get_or_build(catalog_version, ("facets", scope, filters_key, selected), lambda: (
            facets.count_facets(filtered(), selected, known)))
        context.update(facets=facets.link_facets(counted, links),
                       facets_cleared=facets.without_attributes(links) if selected else None)
    return context
