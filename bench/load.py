"""Drive real HTTP load with wrk against gunicorn running the production
settings on the benchmark database, and print requests per second and
p50/p99 latency for each kind of page.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/okryu_bench python bench/load.py [--seconds 20]

Load the catalogue first (bench/load_catalog.py). The script starts
gunicorn itself (gunicorn.conf.py, access log off), warms each page up,
measures, and stops gunicorn. wrk runs on the same machine and takes CPU
from the server, so the figures are for comparing commits on one machine,
not absolute capacity.
"""

import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "okryu.settings")

PRODUCTION = {
    "DEBUG": "false", "ALLOWED_HOSTS": "127.0.0.1,localhost", "SECURE_SSL_REDIRECT": "false",
    "SESSION_COOKIE_SECURE": "false", "CSRF_COOKIE_SECURE": "false", "SECURE_HSTS_SECONDS": "0",
}
PRODUCT_PAGES = 2_000


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--port", type=int, default=8123)
    parser.add_argument("--seconds", type=int, default=20)
    parser.add_argument("--connections", type=int, default=8)
    args = parser.parse_args()
    if not os.environ.get("DATABASE_URL") or not shutil.which("wrk"):
        print("Needs DATABASE_URL (the benchmark database) and wrk (apt-get install wrk).", file=sys.stderr)
        return 2
    env = {**os.environ, **PRODUCTION, "SECRET_KEY": os.environ.get("SECRET_KEY", "bench-only-secret-key")}
    os.environ.update(env)
    scenarios = pages()
    subprocess.run([sys.executable, "manage.py", "collectstatic", "--noinput", "--verbosity", "0"],
                   cwd=ROOT, env=env, check=True)
    server = subprocess.Popen([
        sys.executable, "-m", "gunicorn", "okryu.wsgi", "--config", str(ROOT / "gunicorn.conf.py"),
        "--bind", f"127.0.0.1:{args.port}", "--access-logfile", "/dev/null",
    ], cwd=ROOT, env=env)
    base = f"http://127.0.0.1:{args.port}"
    try:
        wait_until_up(base)
        commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True,
                                text=True).stdout.strip()
        print(f"commit {commit}, {os.cpu_count()} CPUs, wrk -c{args.connections} -d{args.seconds}s")
        print(f"{'page':<22}{'req/s':>10}{'p50 ms':>10}{'p99 ms':>10}")
        for name, paths in scenarios:
            rate, p50, p99 = run_wrk(base, paths, seconds=args.seconds, connections=args.connections)
            wait_until_up(base)  # let requests still queued finish before the next page is measured
            print(f"{name:<22}{rate:>10.1f}{p50:>10.1f}{p99:>10.1f}", flush=True)
    finally:
        server.terminate()
        server.wait(timeout=30)
    return 0


def pages() -> list[tuple[str, list[str]]]:
    """The URLs of each scenario, read from the benchmark catalogue."""
    import django

    django.setup()
    from django.db.models import Count, Q

    from catalog.models import Category, Product
    from catalog.views import PAGE_SIZE

    leaf_products = "children__children__products"
    top = (Category.objects.filter(parent=None, slug__startswith="bench-")
           .annotate(count=Count(leaf_products, filter=Q(**{f"{leaf_products}__is_active": True})))
           .order_by("-count").first())
    if top is None:
        sys.exit("No benchmark catalogue: run bench/load_catalog.py first.")
    deep_page = max(1, top.count // PAGE_SIZE - 5)
    slugs = list(Product.objects.filter(slug__startswith="bench-").order_by("?").values_list("slug", flat=True)
                 [:PRODUCT_PAGES])
    return [
        ("home", ["/"]),
        ("category page 1", [f"/c/{top.slug}/"]),
        (f"category page {deep_page}", [f"/c/{top.slug}/?page={deep_page}"]),
        ("search", ["/search/?q=%EB%9E%AD%EB%A9%B4", "/search/?q=soap", "/search/?q=%EA%B9%80%EC%B9%98"]),
        ("product", [f"/p/{slug}/" for slug in slugs]),
    ]


def wait_until_up(base: str) -> None:
    for _ in range(100):
        try:
            urllib.request.urlopen(base + "/healthz", timeout=30)
            return
        except OSError:
            time.sleep(0.2)
    raise SystemExit("gunicorn did not start")


LUA = """
paths = {%s}
counter = 0
request = function()
  counter = counter + 1
  return wrk.format("GET", paths[(counter %% #paths) + 1])
end
"""


def run_wrk(base: str, paths: list[str], *, seconds: int, connections: int) -> tuple[float, float, float]:
    with tempfile.NamedTemporaryFile("w", suffix=".lua") as script:
        script.write(LUA % ", ".join(f'"{path}"' for path in paths))
        script.flush()
        # A 10 s timeout so that slow pages are measured rather than dropped.
        command = ["wrk", "-t2", f"-c{connections}", "--timeout", "10s", "--latency", "-s", script.name, base]
        subprocess.run([*command[:3], "-d3s", *command[3:]], capture_output=True, check=True)  # warm-up
        output = subprocess.run([*command[:3], f"-d{seconds}s", *command[3:]], capture_output=True, text=True,
                                check=True).stdout
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", output)
    if errors:
        print(f"  warning: {errors.group(1)} error responses", file=sys.stderr)
    rate = float(re.search(r"Requests/sec:\s+([\d.]+)", output).group(1))
    return rate, _percentile(output, "50"), _percentile(output, "99")


def _percentile(output: str, which: str) -> float:
    value, unit = re.search(rf"^\s+{which}(?:\.000)?%\s+([\d.]+)(us|ms|s)\s*$", output, re.M).groups()
    return float(value) * {"us": 0.001, "ms": 1, "s": 1000}[unit]


if __name__ == "__main__":
    sys.exit(main())
