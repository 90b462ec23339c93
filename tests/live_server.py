"""gunicorn and job workers serving pytest-django's test database on
loopback, for the tests that go through a real server (browser journeys,
racing checkouts) or a real worker process (background jobs).

The server runs ``tests.browser.server_settings`` unless told otherwise: the
test settings (same password hasher, so users made by the tests can log in)
with static files stored as in production."""

import contextlib
import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from types import SimpleNamespace
from urllib.parse import quote, urlencode

from django.conf import settings
from django.db import connection

BASE_DIR = Path(settings.BASE_DIR)


def _database_url(db: dict) -> str:
    """A DATABASE_URL for django-environ naming the same database as ``db``;
    a Unix socket directory goes in the query string, where libpq takes it."""
    credentials = quote(db["USER"] or "", safe="")
    if db.get("PASSWORD"):
        credentials += ":" + quote(db["PASSWORD"], safe="")
    host, port, name = db.get("HOST") or "", str(db.get("PORT") or ""), quote(db["NAME"], safe="")
    if host.startswith("/"):
        return f"postgres://{credentials}@/{name}?" + urlencode({"host": host, **({"port": port} if port else {})})
    return f"postgres://{credentials}@{host}{':' + port if port else ''}/{name}"


def process_env(settings_module: str, **extra: str) -> dict:
    """The environment of a process that uses the test database with
    ``settings_module``; the cache is the settings module's to choose, not
    the caller's shell's."""
    return {
        **{name: value for name, value in os.environ.items() if name != "CACHE_URL"},
        "DJANGO_SETTINGS_MODULE": settings_module,
        "DATABASE_URL": _database_url(connection.settings_dict),
        **extra,
    }


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _wait_until_up(url: str, process: subprocess.Popen, log: Path) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"gunicorn exited with {process.returncode}:\n{log.read_text()[-3000:]}")
        try:
            with urllib.request.urlopen(url + "/healthz", timeout=2) as response:
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.2)
    raise RuntimeError(f"gunicorn did not answer within 30 s:\n{log.read_text()[-3000:]}")


@contextlib.contextmanager
def gunicorn(*, media_root: Path, static_root: Path, log: Path, workers: int = 2,
             settings: str = "tests.browser.server_settings"):
    """Collect the static files, start gunicorn on a free port and yield its
    ``url`` and ``host`` once /healthz answers; stop it afterwards."""
    env = process_env(
        settings, OKRYU_BROWSER_STATIC_ROOT=str(static_root), OKRYU_BROWSER_MEDIA_ROOT=str(media_root),
    )
    subprocess.run(
        [sys.executable, "manage.py", "collectstatic", "--noinput", "--verbosity", "0"],
        cwd=BASE_DIR, env=env, check=True,
    )
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    with log.open("w") as output:
        process = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "okryu.wsgi", "--config", "gunicorn.conf.py",
             "--bind", f"127.0.0.1:{port}", "--workers", str(workers)],
            cwd=BASE_DIR, env=env, stdout=output, stderr=subprocess.STDOUT,
        )
    try:
        _wait_until_up(url, process, log)
        yield SimpleNamespace(url=url, host=f"127.0.0.1:{port}")
    finally:
        process.terminate()
        process.wait(timeout=15)


@contextlib.contextmanager
def job_workers(*, count: int, log_dir: Path, settings_module: str = "tests.okryu.jobs_settings", **env: str):
    """Start ``count`` procrastinate worker processes (``manage.py procrastinate
    worker``, as in production) on the test database and yield their
    Popen objects; stop them afterwards, the way a deploy would (SIGTERM).
    Their output goes to ``worker-N.log`` under ``log_dir``."""
    env = process_env(settings_module, **env)
    processes = []
    try:
        for number in range(count):
            with (log_dir / f"worker-{number}.log").open("w") as output:
                processes.append(subprocess.Popen(
                    # A short polling interval: a retried job is picked up at once.
                    [sys.executable, "manage.py", "procrastinate", "worker", "--fetch-job-polling-interval", "0.2"],
                    cwd=BASE_DIR, env=env, stdout=output, stderr=subprocess.STDOUT,
                ))
        yield processes
    finally:
        for process in processes:
            process.terminate()
        for process in processes:
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
