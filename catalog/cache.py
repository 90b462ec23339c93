"""What catalogue pages cache, and when it stops being true.

Every cached entry's key carries the catalogue version, a number in the
cache that the catalog services bump (``bump_version``) after they commit a
change a page can show: prices, stock, offers, sellers switched on or off,
units sold, ratings, images. Old entries are never deleted, just no longer
asked for, and expire after ``TIMEOUT``; that timeout also bounds how long a
change made without a service (a seller renamed in the admin) takes to show.

With ``CACHE_URL`` pointing at Redis the version and the entries are shared
by every gunicorn worker, so a change made through one worker is seen by
all; the default per-process memory cache is for development and tests.
"""

import hashlib
import time

from django.core.cache import cache
from django.db import transaction
from django.middleware.csrf import get_token
from django.template.loader import render_to_string
from django.utils.safestring import SafeString, mark_safe

VERSION_KEY = "catalog:version"
TIMEOUT = 300
# Cached HTML is the same for every visitor, but the CSRF token of its forms
# is each visitor's own: it is cached as this mark and put in per response.
CSRF_MARK = "csrf-token-of-the-visitor"


def version() -> int:
    """The current catalogue version."""
    current = cache.get(VERSION_KEY)
    if current is None:
        # First use, or the key was evicted: start from the clock, so a
        # restarted count can never meet entries cached under an old one.
        cache.add(VERSION_KEY, time.time_ns(), timeout=None)
        current = cache.get(VERSION_KEY, 0)
    return current


def bump_version() -> None:
    """Make every cached page stale once the current transaction commits.

    After the commit, not before: a page built between the bump and the
    commit would read the old rows and cache them under the new version."""
    transaction.on_commit(_bump)


def _bump() -> None:
    try:
        cache.incr(VERSION_KEY)
    except ValueError:  # not there (evicted): any fresh value is a new version
        cache.set(VERSION_KEY, time.time_ns(), timeout=None)


def key(catalog_version: int, *parts) -> str:
    """A short cache key for ``parts`` (anything with a stable repr) in a
    catalogue version; a page reads the version once and passes it on."""
    digest = hashlib.sha1(repr(parts).encode()).hexdigest()
    return f"catalog:{catalog_version}:{digest}"


def get_or_build(catalog_version: int, parts: tuple, build):
    """The value cached for ``parts`` in that catalogue version, built by
    ``build()`` (and cached) when it is not there."""
    return cache.get_or_set(key(catalog_version, *parts), build, TIMEOUT)


def render_content(template: str, context: dict) -> str:
    """The HTML of ``template`` for the cache: rendered without a request,
    any form's CSRF token left as ``CSRF_MARK``."""
    return render_to_string(template, {**context, "csrf_token": CSRF_MARK})


def for_visitor(request, html: str) -> SafeString:
    """Cached HTML with this visitor's CSRF token in its forms."""
    if CSRF_MARK in html:
        html = html.replace(CSRF_MARK, get_token(request))
    return mark_safe(html)
