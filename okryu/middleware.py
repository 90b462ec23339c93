"""Project-wide request rules: pages are compressed but byte ranges are
not, private pages are never stored, a database that is down answers 503
instead of a 500, an account keeps the language its owner used last, and a
visitor who just wrote reads from the primary."""

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import InterfaceError, OperationalError
from django.http import HttpRequest, HttpResponse
from django.middleware.gzip import GZipMiddleware
from django.utils.cache import add_never_cache_headers

from okryu.db import PIN_COOKIE
from okryu.views import database_unavailable


class PageGZipMiddleware(GZipMiddleware):
    """Django's GZipMiddleware, but a response that offers byte ranges is
    sent as it is: the ranges count the file's own bytes, so a compressed
    206 would hand a player the wrong ones (and video and sound are
    compressed already)."""

    def process_response(self, request: HttpRequest, response: HttpResponse) -> HttpResponse:
        if response.has_header("Accept-Ranges") or response.has_header("Content-Range"):
            return response
        return super().process_response(request, response)


class DatabaseUnavailableMiddleware:
    """A view that hits a database that is down or restarting answers 503
    with Retry-After. Errors raised outside a view (a middleware saving the
    session) reach ``okryu.views.server_error``, which answers the same."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        if isinstance(exception, OperationalError | InterfaceError):
            return database_unavailable(request)
        return None


class PrivatePagesNoStoreMiddleware:
    """Cache-Control: no-store on every response of the private URL
    namespaces (settings.NO_STORE_URL_NAMESPACES), whatever the view, so a
    new account, card, cart, checkout or order page cannot forget it."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        match = getattr(request, "resolver_match", None)
        if match is not None and set(match.namespaces) & set(settings.NO_STORE_URL_NAMESPACES):
            add_never_cache_headers(response)
        return response


class RememberLanguageMiddleware:
    """Keep the language a logged-in person last used on their account,
    for the messages they are sent (okryu.notices). Checked after the view,
    so a login records the language of the login page; an update only
    when it changed."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        user = request.user
        language = getattr(request, "LANGUAGE_CODE", None)
        if user.is_authenticated and language in dict(settings.LANGUAGES) and user.language != language:
            get_user_model().objects.filter(pk=user.pk).update(language=language)
        return response


class ReadYourWritesMiddleware:
    """When replicas are configured, a response to any request that may have
    written (every method but GET, HEAD, OPTIONS) carries the pin cookie for
    settings.DATABASE_REPLICA_PIN_SECONDS: while it lasts, ``@reads_replica``
    pages read this visitor's cart, order, review or reservation from the
    primary rather than from a replica that may not have it yet. Every such
    request counts, not a list of views: a new form cannot forget it."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if settings.DATABASE_REPLICAS and request.method not in ("GET", "HEAD", "OPTIONS"):
            response.set_cookie(
                PIN_COOKIE, "1", max_age=settings.DATABASE_REPLICA_PIN_SECONDS,
                secure=settings.SESSION_COOKIE_SECURE, httponly=True, samesite="Lax",
            )
        return response
