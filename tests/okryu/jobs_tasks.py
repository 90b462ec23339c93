"""Tasks that exist only for the job queue's tests. Each run leaves a row in
RUNS_TABLE (created by the tests), written by the worker that ran it, so a
test counts runs without trusting the queue's own bookkeeping."""

import os
import time

from django.db import connection
from procrastinate.contrib.django import app

RUNS_TABLE = "test_job_runs"


def record_run(key: str) -> int:
    """Write one run of ``key`` by this process; return how many runs of ``key`` there are."""
    with connection.cursor() as cursor:
        cursor.execute(f"INSERT INTO {RUNS_TABLE} (key, pid) VALUES (%s, %s)", [key, os.getpid()])
        cursor.execute(f"SELECT count(*) FROM {RUNS_TABLE} WHERE key = %s", [key])
        return cursor.fetchone()[0]


@app.task
def record(key: str) -> None:
    # Long enough that two workers take turns on a queue instead of one draining it.
    time.sleep(0.01)
    record_run(key)


@app.task(retry=2)
def fail_twice(key: str) -> None:
    if record_run(key) < 3:
        raise RuntimeError(f"attempt of {key} failed on purpose")


@app.task(retry=1)
def always_fail(key: str) -> None:
    record_run(key)
    raise RuntimeError(f"{key} fails on purpose")
