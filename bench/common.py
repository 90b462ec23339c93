"""What the fault scripts share: the production environment gunicorn runs
under on loopback, starting it, plain GETs, and killing database backends."""

import os
import secrets
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent

# The keys of `make bench` (the Makefile's BENCH_ENV), unless the environment
# sets them. Every script that creates the bench buyers or pays with their
# cards must use the same CARD_NUMBER_KEY: a PIN's hash is keyed by it, and
# the PIN hashed under another key is wrong five times and locks the card.
BENCH_KEYS = {"SECRET_KEY": "bench-only-secret-key", "CARD_NUMBER_KEY": "bench-only-card-number-key"}


def bench_keys() -> dict[str, str]:
    return {name: os.environ.get(name, default) for name, default in BENCH_KEYS.items()}


# Production settings, minus what needs TLS in front (plain HTTP on loopback).
ENV = {
    **os.environ, "DEBUG": "false", "ALLOWED_HOSTS": "127.0.0.1", "SECURE_SSL_REDIRECT": "false",
    "SESSION_COOKIE_SECURE": "false", "CSRF_COOKIE_SECURE": "false", "SECURE_HSTS_SECONDS": "0",
    "SECRET_KEY": secrets.token_urlsafe(50), "CARD_NUMBER_KEY": bench_keys()["CARD_NUMBER_KEY"],
    "LOG_LEVEL": "CRITICAL",
}


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def get(url: str) -> tuple[int, str]:
    """Status and Retry-After of a GET; status 0 when no HTTP answer came at
    all (connection refused or reset)."""
    try:
        with urllib.request.urlopen(url, timeout=10) as response:
            return response.status, ""
    except urllib.error.HTTPError as error:
        return error.code, error.headers.get("Retry-After", "")
    except OSError:
        return 0, ""


def start_gunicorn(env: dict, *, workers: int) -> tuple[subprocess.Popen, str]:
    """gunicorn serving the store on a free loopback port, once it answers
    /healthz; returns the process and the base URL."""
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "okryu.wsgi", "--bind", f"127.0.0.1:{port}", "--workers", str(workers),
         "--timeout", "30", "--log-level", "critical", "--access-logfile", "/dev/null"],
        cwd=BASE_DIR, env=env,
    )
    base = f"http://127.0.0.1:{port}"
    for _ in range(100):
        if get(base + "/healthz")[0] == 200:
            break
        time.sleep(0.1)
    return process, base


# Every server process serving the store's database but the caller's own,
# killed as an administrator or a crashing backend would.
TERMINATE_BACKENDS = (
    "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity"
    " WHERE datname = current_database() AND pid <> pg_backend_pid()"
)


def terminate_backends(env: dict) -> None:
    """TERMINATE_BACKENDS from a fresh process (for a caller without Django)."""
    subprocess.run([sys.executable, "manage.py", "shell", "-c", (
        "from django.db import connection\n"
        f"with connection.cursor() as c: c.execute({TERMINATE_BACKENDS!r})"
    )], cwd=BASE_DIR, env=env, check=True)
