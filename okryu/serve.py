"""Serve the storefront with gunicorn and run one job worker beside it, in
the foreground; on Ctrl-C (or SIGTERM) stop both, then the embedded
database if this project started one. When either stops on its own, the
other is stopped too: a store whose periodic jobs silently died would keep
card holds forever."""

import argparse
import os
import signal
import subprocess
import sys
import time

from okryu import embedded_db

DEMO_ACCOUNTS = """\
Okryu is serving on http://127.0.0.1:{port}/  (Ctrl-C stops it)
A job worker runs beside it (manage.py procrastinate worker): periodic and deferred jobs.

Demo accounts (password: okryu-demo)
  customer        shopper, with a linked e-card (PIN 1234, balance ₩1,000,000)
  courier         delivery page at /courier/
  staff           superuser, admin at /admin/ (also the dispatcher board at /dispatch/)
  finance         finance clerk in the admin: refunds, top-ups, issuing cards
  kwangbok-clerk  a seller's staff (Kwangbok): its orders and its standing
  frontdesk       the Koryo Hotel's front desk: reservations, arrivals, departures
  pharmacist      approves or rejects prescription numbers
"""

# Seconds each process may take to finish what it is doing before it is killed.
STOP_TIMEOUT = 30


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", default="8000")
    port = parser.parse_args().port
    gunicorn = subprocess.Popen([
        sys.executable, "-m", "gunicorn", "okryu.wsgi",
        "--config", str(embedded_db.BASE_DIR / "gunicorn.conf.py"),
        "--bind", f"127.0.0.1:{port}",
    ])
    # In a process group of its own, so that Ctrl-C in the terminal does not
    # reach it beside the SIGTERM sent below: procrastinate takes a second
    # signal as "abandon the running job now" instead of "finish it, then stop".
    worker = subprocess.Popen(
        [sys.executable, str(embedded_db.BASE_DIR / "manage.py"), "procrastinate", "worker"],
        process_group=0,
    )
    children = [gunicorn, worker]
    print(DEMO_ACCOUNTS.format(port=port), flush=True)
    stopping = False

    def stop(signum=None, frame=None):
        # A second Ctrl-C passes on as a second signal: stop without waiting.
        nonlocal stopping
        stopping = True
        for child in children:
            if child.poll() is None:
                child.send_signal(signal.SIGTERM)

    signal.signal(signal.SIGINT, stop)
    signal.signal(signal.SIGTERM, stop)
    while not stopping and all(child.poll() is None for child in children):
        time.sleep(0.5)
    if not stopping:
        if worker.poll() is not None:
            print("The job worker stopped; the server is stopped with it.", file=sys.stderr, flush=True)
        stop()
    for child in children:
        try:
            child.wait(timeout=STOP_TIMEOUT)
        except subprocess.TimeoutExpired:
            child.kill()
            child.wait()
    if not os.environ.get("DATABASE_URL"):
        embedded_db.stop()
        print("Embedded PostgreSQL stopped.", flush=True)
    return gunicorn.returncode or worker.returncode


if __name__ == "__main__":
    sys.exit(main())
