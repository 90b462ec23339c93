"""What catalogue pages cache, and when it stops being true.

Every cached entry's key carries the catalogue version, a PostgreSQL
sequence that the catalog services and the catalogue's admin pages bump
(``bump_version``) after they commit a change a page can show: prices,
offers, which of them are in stock, sellers, categories, names, ratings,
images. Old entries are never deleted, just no longer asked for, and expire
after ``TIMEOUT``.

A sale that empties no offer changes only the stock counts of product pages
and the sales that order listings: it bumps the stock version instead
(``bump_stock_version``), which only product pages are keyed by. Otherwise
every order would make every listing, search and facet count stale (a
category's facets at a million products take 1.2–1.5 s to count). Listings
ordered by sales may so lag the last sales by up to ``TIMEOUT``.

The version lives in the database, not in the cache, so that every process
on every host reads the same one: with the default per-process memory cache
each gunicorn worker keeps its own copy of the pages, and still none serves
a page older than the last change. ``CACHE_URL`` pointing at Redis makes the
workers share the pages too, so each is built once rather than once a
process. Each process also keeps the entries it last used in its own
memory (``PROCESS_CACHE``), so that a cached page costs the version read
and no round trip to Redis: entries are keyed by the version, so a copy held
by one process is never staler than the shared one.
"""

import hashlib
import threading
import time
from collections import OrderedDict

from django.conf import settings
from django.core.cache import cache
from django.db import connection, transaction
from django.middleware.csrf import get_token
from django.template.loader import render_to_string
from django.utils.safestring import SafeString, mark_safe

from okryu.db import build_from_caught_up_replica

TIMEOUT = 300
# How long requests wait for another one building the entry they want, and
# how often they look (_build_once).
BUILD_WAIT = 5
BUILD_POLL = 0.02
# Cached HTML is the same for every visitor, but the CSRF token of its forms
# is each visitor's own: it is cached as this mark and put in per response.
CSRF_MARK = "csrf-token-of-the-visitor"
_MISSING = object()


class Version:
    """A version number every process on every host reads alike: a
    PostgreSQL sequence, whose row holds a single number."""

    def __init__(self, sequence: str):
        self.sequence = sequence

    def read(self) -> int:
        """The current version: one small query."""
        with connection.cursor() as cursor:
            cursor.execute(f"SELECT last_value FROM {self.sequence}")
            return cursor.fetchone()[0]

    def bump(self) -> None:
        """Make every page cached under the current version stale once the
        current transaction commits.

        After the commit, not before: a sequence moves outside transactions,
        so a page built between the bump and the commit would read the old
        rows and cache them under the new version."""
        transaction.on_commit(self._next)

    def _next(self) -> None:
        with connection.cursor() as cursor:
            cursor.execute(f"SELECT nextval('{self.sequence}')")


CATALOGUE_VERSION = Version("catalog_version")
STOCK_VERSION = Version("catalog_stock_version")
version = CATALOGUE_VERSION.read
bump_version = CATALOGUE_VERSION.bump
bump_stock_version = STOCK_VERSION.bump


def versions() -> tuple[int, int]:
    """The catalogue version and the stock version, in one query."""
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT catalogue.last_value, stock.last_value"
                       f" FROM {CATALOGUE_VERSION.sequence} AS catalogue, {STOCK_VERSION.sequence} AS stock")
        return cursor.fetchone()


def key(catalog_version: int, *parts) -> str:
    """A short cache key for ``parts`` (anything with a stable repr) in a
    catalogue version; a page reads the version once and passes it on."""
    digest = hashlib.sha1(repr(parts).encode()).hexdigest()
    return f"catalog:{catalog_version}:{digest}"


class ProcessCache:
    """The most recently used entries of this process, at most ``size``,
    each for ``TIMEOUT`` seconds as in the shared cache. Values are shared
    by the threads of the process, unpickled once: callers only read them."""

    def __init__(self, size: int):
        self.size = size
        self._entries: OrderedDict[str, tuple[float, object]] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, cache_key: str, default=None):
        with self._lock:
            expires, value = self._entries.get(cache_key, (0.0, default))
            if expires < time.monotonic():
                self._entries.pop(cache_key, None)
                return default
            self._entries.move_to_end(cache_key)
            return value

    def set(self, cache_key: str, value) -> None:
        if not self.size:
            return
        with self._lock:
            self._entries[cache_key] = (time.monotonic() + TIMEOUT, value)
            self._entries.move_to_end(cache_key)
            while len(self._entries) > self.size:
                self._entries.popitem(last=False)


PROCESS_CACHE = ProcessCache(settings.CATALOG_PROCESS_CACHE_SIZE)


def get_or_build(catalog_version: int, parts: tuple, build, *, still_true=None):
    """The value cached for ``parts`` in that catalogue version: from this
    process's memory, else from the shared cache, else built by ``build()``
    (from a replica only once it has caught up) and cached in both. Built
    again when ``still_true``, given the cached value, says it no longer
    holds (a page showing who is open, past the next opening or closing)."""
    cache_key = key(catalog_version, *parts)
    value = PROCESS_CACHE.get(cache_key, _MISSING)
    if value is not _MISSING and (still_true is None or still_true(value)):
        return value
    value = cache.get(cache_key, _MISSING)
    if value is _MISSING or (still_true is not None and not still_true(value)):
        value = _build_once(cache_key, build, still_true)
    PROCESS_CACHE.set(cache_key, value)
    return value


def _build_once(cache_key: str, build, still_true):
    """``build()`` cached under ``cache_key`` by one request at a time: the
    others asking meanwhile wait for its value, up to BUILD_WAIT seconds,
    then build it themselves. A page that takes a second to build (a
    category's facets in a catalogue of a million) is otherwise built by
    every request of that second, each slowing the others down."""
    building = f"{cache_key}:building"
    if cache.add(building, True, BUILD_WAIT):
        try:
            return _build(cache_key, build)
        finally:
            cache.delete(building)
    deadline = time.monotonic() + BUILD_WAIT
    while time.monotonic() < deadline:
        time.sleep(BUILD_POLL)
        value = cache.get(cache_key, _MISSING)
        if value is not _MISSING and (still_true is None or still_true(value)):
            return value
    return _build(cache_key, build)


def _build(cache_key: str, build):
    value = build_from_caught_up_replica(build)
    cache.set(cache_key, value, TIMEOUT)
    return value


def render_content(template: str, context: dict) -> str:
    """The HTML of ``template`` for the cache: rendered without a request,
    any form's CSRF token left as ``CSRF_MARK``."""
    return render_to_string(template, {**context, "csrf_token": CSRF_MARK})


def visitor_mark(*, in_stock: bool) -> str:
    """Where a cached product page holds what is this visitor's own (the
    wish-list heart), filled in per response; it says whether the product
    is in stock, which the part needs and the cached page knows."""
    return f"<!-- this visitor's part: {'in stock' if in_stock else 'sold out'} -->"


def for_visitor(request, html: str) -> SafeString:
    """Cached HTML with this visitor's CSRF token in its forms."""
    if CSRF_MARK in html:
        html = html.replace(CSRF_MARK, get_token(request))
    return mark_safe(html)
