"""Retrying a transaction that PostgreSQL aborted to break a conflict."""

import functools
import random
import time

from django.db import OperationalError, connection

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
