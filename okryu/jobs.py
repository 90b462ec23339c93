"""Deferring background jobs (procrastinate tasks) once a transaction commits."""

from typing import Any

from django.db import transaction
from procrastinate.jobs import JobDeferrer
from procrastinate.tasks import Task


def defer_on_commit(task: Task | JobDeferrer, **task_kwargs: Any) -> None:
    """Queue ``task`` with ``task_kwargs`` when the current transaction
    commits, at once outside one; a rolled-back transaction queues nothing.

    ``task`` is a task or a configured one (``task.configure(lock=...)``).
    Keyword values must be JSON: pass ids, never model instances.
    """
    transaction.on_commit(lambda: task.defer(**task_kwargs))
