"""Serve the storefront with gunicorn in the foreground; on Ctrl-C stop
gunicorn, then the embedded database if this project started one."""

import argparse
import os
import signal
import subprocess
import sys

from okryu import embedded_db

DEMO_ACCOUNTS = """\
Okryu is serving on http://127.0.0.1:{port}/  (Ctrl-C stops it)

Demo accounts (password: okryu-demo)
  customer  shopper, with a linked e-card (PIN 1234, balance ₩1,000,000)
  courier   delivery page at /courier/
  staff     superuser, admin at /admin/
"""


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", default="8000")
    port = parser.parse_args().port
    gunicorn = subprocess.Popen([
        sys.executable, "-m", "gunicorn", "okryu.wsgi",
        "--config", str(embedded_db.BASE_DIR / "gunicorn.conf.py"),
        "--bind", f"127.0.0.1:{port}",
    ])
    print(DEMO_ACCOUNTS.format(port=port), flush=True)

    def forward(signum, frame):
        gunicorn.send_signal(signal.SIGTERM)

    signal.signal(signal.SIGINT, forward)
    signal.signal(signal.SIGTERM, forward)
    code = gunicorn.wait()
    if not os.environ.get("DATABASE_URL"):
        embedded_db.stop()
        print("Embedded PostgreSQL stopped.", flush=True)
    return code


if __name__ == "__main__":
    sys.exit(main())
