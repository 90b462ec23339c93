"""Run calls against each other on real threads, for the race tests.

Each thread gets its own database connection, so each call commits (or
rolls back) for real: use it from tests marked
``django_db(transaction=True)``, never inside the test's own transaction."""

import threading
import time
from collections.abc import Callable

from django.db import connection

TIMEOUT = 60.0


def race(*calls: Callable[[], object], expect: tuple[type[BaseException], ...] = (), timeout: float = TIMEOUT) -> list:
    """Start each call on its own thread and release them all together.

    Guarantees, once it returns:
    - every call ran to its end: none started before all threads were ready
      (a barrier releases them at once) and none is still running;
    - each thread closed its database connection when it ended, so no
      connection leaks into the next test or blocks its flush;
    - the result lists, in the order of ``calls``, what each call returned,
      or the exception it raised when that exception is one of ``expect``.

    Any other exception from any call fails the test: they are re-raised
    together, as one exception group naming how many calls raised, after
    every thread has ended. A thread still running after ``timeout`` seconds
    fails the test instead of hanging it."""
    outcomes: list = [None] * len(calls)
    unexpected: list[BaseException] = []
    barrier = threading.Barrier(len(calls))

    def run(index: int, call: Callable[[], object]) -> None:
        try:
            barrier.wait(timeout=timeout)
            outcomes[index] = call()
        except expect as error:
            outcomes[index] = error
        except BaseException as error:  # noqa: B036 - a failed assert or pytest.fail in a thread must reach the test
            error.add_note(f"raised by racing call {index + 1} of {len(calls)}")
            unexpected.append(error)
        finally:
            connection.close()

    # Daemon threads: a call stuck past the timeout must not keep the test run from exiting.
    threads = [threading.Thread(target=run, args=pair, daemon=True) for pair in enumerate(calls)]
    for thread in threads:
        thread.start()
    deadline = time.monotonic() + timeout
    for thread in threads:
        thread.join(timeout=max(0.0, deadline - time.monotonic()))
    stuck = sum(thread.is_alive() for thread in threads)
    assert not stuck, f"{stuck} of {len(calls)} racing calls still running after {timeout:g} s"
    if unexpected:
        raise BaseExceptionGroup(f"{len(unexpected)} of {len(calls)} racing calls raised", unexpected)
    return outcomes
