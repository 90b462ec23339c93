"""retry_on_conflict against real deadlocks and serialization failures
between threads on PostgreSQL."""

import threading
from collections import Counter

import pytest
from django.db import IntegrityError, OperationalError, connection, transaction

from okryu.db import is_conflict, retry_on_conflict
from okryu.models import User
from tests.factories import user
from tests.races import race

pytestmark = pytest.mark.django_db(transaction=True)


def _crossing_locks(calls: Counter, barrier: threading.Barrier):
    """Two transactions that lock the same two rows in opposite orders; only
    first attempts meet at the barrier, so a retry runs into no deadlock."""

    def lock_both(first: int, second: int, name: str):
        calls[name] += 1
        with transaction.atomic():
            User.objects.select_for_update().get(pk=first)
            if calls[name] == 1:
                barrier.wait(timeout=10)
            User.objects.select_for_update().get(pk=second)
            User.objects.filter(pk=second).update(last_name=name)

    return lock_both


def test_without_a_retry_one_side_of_a_deadlock_fails():
    a, b = user(), user()
    calls = Counter()
    lock_both = _crossing_locks(calls, threading.Barrier(2))
    results = race(lambda: lock_both(a.pk, b.pk, "left"), lambda: lock_both(b.pk, a.pk, "right"),
                   expect=(OperationalError,))
    errors = [result for result in results if isinstance(result, OperationalError)]
    assert len(errors) == 1
    [error] = errors
    assert is_conflict(error) and error.__cause__.sqlstate == "40P01"


def test_a_deadlock_is_retried_and_both_sides_finish():
    a, b = user(), user()
    calls = Counter()
    lock_both = retry_on_conflict(_crossing_locks(calls, threading.Barrier(2)))
    # race() fails the test if either side raises.
    race(lambda: lock_both(a.pk, b.pk, "left"), lambda: lock_both(b.pk, a.pk, "right"))
    assert sorted(calls.values()) == [1, 2], "the victim ran once more, the winner once"
    assert {User.objects.get(pk=a.pk).last_name, User.objects.get(pk=b.pk).last_name} == {"left", "right"}


def _repeatable_read():
    with connection.cursor() as cursor:
        cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")


def _serialization_failure(calls: Counter, row: int, *, isolate: bool = True):
    """Every call reads a row under REPEATABLE READ, lets another connection
    change it, then writes it: PostgreSQL aborts with 40001 each time."""

    def conflicting_update():
        calls["update"] += 1
        with transaction.atomic():
            if isolate:
                _repeatable_read()
            User.objects.get(pk=row)
            assert race(lambda: User.objects.filter(pk=row).update(first_name=f"other {calls['update']}")) == [1]
            User.objects.filter(pk=row).update(first_name="mine")

    return conflicting_update


def test_the_retries_are_bounded_and_the_last_conflict_propagates():
    row = user().pk
    calls = Counter()
    with pytest.raises(OperationalError) as raised:
        retry_on_conflict(attempts=3)(_serialization_failure(calls, row))()
    assert raised.value.__cause__.sqlstate == "40001"
    assert calls["update"] == 3
    assert User.objects.get(pk=row).first_name == "other 3"


def test_a_conflict_inside_an_outer_transaction_is_not_retried():
    row = user().pk
    calls = Counter()
    with pytest.raises(OperationalError), transaction.atomic():
        _repeatable_read()
        retry_on_conflict(_serialization_failure(calls, row, isolate=False))()
    assert calls["update"] == 1


def test_other_errors_are_not_retried():
    calls = Counter()

    @retry_on_conflict
    def duplicate():
        calls["duplicate"] += 1
        with transaction.atomic():
            User.objects.create(username="twin")
            User.objects.create(username="twin")

    with pytest.raises(IntegrityError):
        duplicate()
    assert calls["duplicate"] == 1
