"""Retrying a transaction that PostgreSQL aborted to break a conflict, and
sending the reads that may be a moment stale to a streaming replica."""

import contextvars
import functools
import random
import time

from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, DatabaseError, OperationalError, connection, connections

# serialization_failure and deadlock_detected: the transaction was rolled back
# whole, so running it again from the start is safe.
RETRYABLE_SQLSTATES = frozenset({"40001", "40P01"})


def is_conflict(error: BaseException) -> bool:
    return isinstance(error, OperationalError) and getattr(error.__cause__, "sqlstate", None) in RETRYABLE_SQLSTATES


def retry_on_conflict(func=None, *, attempts: int = 3, pause: float = 0.05):
    """Call ``func`` again, up to ``attempts`` times in all, when PostgreSQL
    aborts its transaction as a deadlock or a serialization failure; any
    other error, or the last conflict, propagates.

    ``func`` must open its own transaction (``transaction.atomic``): inside
    an outer transaction the whole outer transaction is lost, so a conflict
    there is raised at once rather than retried. The pause between attempts
    is random so that the two sides of a deadlock do not meet again.
    """
    if func is None:
        return functools.partial(retry_on_conflict, attempts=attempts, pause=pause)

    @functools.wraps(func)
    def wrapper(*args, **kwargs):
        for attempt in range(1, attempts + 1):
            try:
                return func(*args, **kwargs)
            except OperationalError as error:
                if attempt == attempts or not is_conflict(error) or connection.in_atomic_block:
                    raise
            time.sleep(random.uniform(0, pause * attempt))

    return wrapper


# The replica that the running view's reads go to, or None for the primary.
# A context variable, not a module global: each thread of a gunicorn worker
# serves its own request.
_replica_alias: contextvars.ContextVar[str | None] = contextvars.ContextVar("replica_alias", default=None)

# Who the visitor is, who is locked out, which job runs next: always as the
# primary has it, whatever the view.
PRIMARY_ONLY_APPS = frozenset({"sessions", "axes", "procrastinate"})

# Set on the response to any request that may have written (okryu.middleware.
# ReadYourWritesMiddleware): while the browser sends it back, that visitor's
# reads stay on the primary, which already has what they just wrote.
PIN_COOKIE = "okryu_primary"


class ReplicaRouter:
    """Reads go to a replica only inside a ``@reads_replica`` view and
    outside any transaction; everything else, every write and every read
    that locks (``select_for_update`` counts as a write), goes to the
    primary. With no replica configured every query goes to the primary."""

    def db_for_read(self, model, **hints):
        return DEFAULT_DB_ALIAS if model._meta.app_label in PRIMARY_ONLY_APPS else _read_alias()

    def db_for_write(self, model, **hints):
        # Explicit, or Django would save a row read from the replica back to it.
        return DEFAULT_DB_ALIAS

    def allow_relation(self, obj1, obj2, **hints):
        return True  # a replica holds the primary's rows

    def allow_migrate(self, db, app_label, **hints):
        return db == DEFAULT_DB_ALIAS


def read_connection():
    """The connection for a raw SQL read that may be a moment stale (the
    router sees only the ORM's): the running view's replica, or the primary."""
    return connections[_read_alias()]


def _read_alias() -> str:
    alias = _replica_alias.get()
    # Inside a transaction every read belongs with the writes and locks beside it.
    if alias is None or connections[DEFAULT_DB_ALIAS].in_atomic_block:
        return DEFAULT_DB_ALIAS
    return alias


def reads_replica(view):
    """Let a GET view's reads, its template's included, go to a replica:
    for pages that may show a moment-old catalogue (listings, search,
    reports), never for one that locks, checks stock or moves money. The
    primary answers instead while the visitor carries the pin cookie, or
    when no replica answers (down or restarting)."""

    @functools.wraps(view)
    def wrapper(request, *args, **kwargs):
        pinned = request.method not in ("GET", "HEAD") or PIN_COOKIE in request.COOKIES
        alias = None if pinned else reachable_replica()
        if alias is None:
            return view(request, *args, **kwargs)
        token = _replica_alias.set(alias)
        try:
            response = view(request, *args, **kwargs)
            # A TemplateResponse renders after the view returns: here, so
            # that its template's queries take the same road.
            if hasattr(response, "render") and not response.is_rendered:
                response.render()
            return response
        finally:
            _replica_alias.reset(token)

    return wrapper


def reachable_replica() -> str | None:
    """A replica alias (settings.DATABASE_REPLICAS, in random order) whose
    connection is up, or None. A kept connection is health-checked first, so
    a replica that restarted since the last request is noticed here rather
    than halfway through a page."""
    for alias in random.sample(settings.DATABASE_REPLICAS, len(settings.DATABASE_REPLICAS)):
        replica = connections[alias]
        try:
            replica.close_if_health_check_failed()
            replica.ensure_connection()
        except DatabaseError:
            continue
        return alias
    return None


def build_from_caught_up_replica(build):
    """``build()``, reading from the request's replica only if that replica
    has replayed everything the primary had written when this is called;
    from the primary otherwise.

    For what is cached under the catalogue version read from the primary: a
    replica a few milliseconds behind would otherwise store the old rows
    under the new version, and the cache would show them until it expires.
    Two small queries, paid on a cache miss only."""
    alias = _replica_alias.get()
    if alias is None or _caught_up(alias):
        return build()
    token = _replica_alias.set(None)
    try:
        return build()
    finally:
        _replica_alias.reset(token)


def _caught_up(alias: str) -> bool:
    with connections[DEFAULT_DB_ALIAS].cursor() as cursor:
        cursor.execute("SELECT pg_current_wal_lsn()")
        primary_position = cursor.fetchone()[0]
    # A server that is not in recovery (the test suite's mirror of the
    # primary) is caught up with itself.
    try:
        with connections[alias].cursor() as cursor:
            cursor.execute(
                "SELECT CASE WHEN pg_is_in_recovery() THEN pg_last_wal_replay_lsn() ELSE pg_current_wal_lsn() END"
                " >= %s::pg_lsn",
                [primary_position],
            )
            return bool(cursor.fetchone()[0])
    except DatabaseError:
        return False  # the replica went away since the request began
