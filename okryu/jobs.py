"""Deferring background jobs (procrastinate, on the project's PostgreSQL)."""

from django.db import transaction


def defer_on_commit(task, **kwargs) -> None:
    """Queue ``task(**kwargs)`` once the current transaction commits: work
    that a rolled-back change asked for is never done."""
    transaction.on_commit(lambda: task.defer(**kwargs))
