"""Drive real HTTP load with wrk against gunicorn running the production
settings on the benchmark database, and print one table: each page's
requests per second (median of the rounds, and their spread), p50/p99
latency, SQL queries, HTML size raw and gzipped, the gunicorn workers'
resident memory, and the ratio to the floor (bench/floor/) measured in the
same run; then a checkout run as orders per second (bench/checkout.py).

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/okryu_bench python bench/load.py [--seconds 10 --rounds 3]

Load the catalogue first (bench/load_catalog.py). The script counts each
page's queries with Django's test client in this process (once with an
empty cache, once warm), starts gunicorn itself (gunicorn.conf.py, access
log off, bench.floor.settings: the project's settings plus /floor/), warms
each page up, measures, and stops gunicorn. wrk runs on the same machine
and takes CPU from the server, so the figures are for comparing commits on
one machine, not absolute capacity.
"""

import argparse
import contextlib
import gzip
import json
import os
import random
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from pathlib import Path
from urllib.parse import quote

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.common import bench_keys  # noqa: E402

os.environ["DJANGO_SETTINGS_MODULE"] = "bench.floor.settings"

PRODUCTION = {
    "DEBUG": "false", "ALLOWED_HOSTS": "127.0.0.1,localhost,testserver", "SECURE_SSL_REDIRECT": "false",
    "SESSION_COOKIE_SECURE": "false", "CSRF_COOKIE_SECURE": "false", "SECURE_HSTS_SECONDS": "0",
    # Logins: many buyers from one address, all with the right password.
    "AXES_FAILURE_LIMIT": "1000",
}
PRODUCT_PAGES = 2_000
# Product pages never requested before, a new set each round: the page built
# from the database (a cache miss), not from the cache.
FIRST_VIEWS_PER_ROUND = 6_000
DEEP_ROW = 48_000
# Searches for a common word with a number nobody asked for before (names
# carry numbers), a new set each round: the ranking paid, not the cache.
COMMON_WORDS = ["김치", "사과", "두부", "국수", "비누", "크림", "구두", "배낭", "rice", "noodles", "soap", "shoes"]
# The pages of the growth table (bench/growth.py), by catalogue size.
GROWTH_PAGES = ("category page 1", "category deep page", "search ko common 냉면", "search, never asked before",
                "product, first view", "add-to-cart POST", "cart")
CART_LINES = 5
BROWSER = {"Accept-Encoding": "gzip", "Accept-Language": "ko"}
# The pages measured again with the per-process cache, to compare.
CACHED_PAGES = ("home", "category page 1", f"product ({PRODUCT_PAGES:,} pages)", "search ko common 냉면")
STAY_PREFIX = "bench-stay-"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--port", type=int, default=8123)
    parser.add_argument("--seconds", type=int, default=8, help="of each measured wrk run")
    parser.add_argument("--rounds", type=int, default=3, help="every page is measured this many times, in turn")
    parser.add_argument("--connections", type=int, default=8)
    parser.add_argument("--buyers", type=int, default=16, help="parallel buyers in the checkout run")
    parser.add_argument("--workers", type=int, help="gunicorn workers (default: gunicorn.conf.py)")
    parser.add_argument("--threads", type=int, help="gunicorn threads per worker (default: gunicorn.conf.py)")
    parser.add_argument("--only", help="measure only the pages whose name contains this")
    parser.add_argument("--growth", metavar="JSON",
                        help="measure only the growth table's pages, no checkout, and write the figures to JSON")
    args = parser.parse_args()
    if not os.environ.get("DATABASE_URL") or not shutil.which("wrk"):
        print("Needs DATABASE_URL (the benchmark database) and wrk (apt-get install wrk).", file=sys.stderr)
        return 2
    env = {**os.environ, **PRODUCTION, **bench_keys()}
    os.environ.update(env)
    import django

    django.setup()
    from bench import checkout

    subprocess.run([sys.executable, "manage.py", "collectstatic", "--noinput", "--verbosity", "0"],
                   cwd=ROOT, env=env, check=True)
    scenarios = pages(args.rounds)
    if args.only or args.growth:
        scenarios = [s for s in scenarios if s[0] in ("floor", "category page 1") or (args.only or "") in s[0]
                     and (not args.growth or s[0] in GROWTH_PAGES)]
    sizes = measure_pages(scenarios)
    env["FLOOR_PAGE_BYTES"] = str(sizes["category page 1"][1])
    base = f"http://127.0.0.1:{args.port}"
    if args.growth:
        with gunicorn(env, args) as server:
            results = measure_rounds(base, scenarios, args, server)
        Path(args.growth).write_text(json.dumps({"results": results, "sizes": sizes}))
        return 0
    buyers = checkout.prepare(buyers=args.buyers)
    with gunicorn(env, args) as server:
        results = measure_rounds(base, scenarios, args, server)
        with MemorySampler(server.pid) as memory:
            orders = checkout.run(base, buyers, seconds=args.seconds * 2)
        orders["rss"] = memory.peak_mb
        worker_count = len(MemorySampler(server.pid).workers())
    # The same cached pages with the cache each process keeps for itself
    # (CACHE_URL unset), the fastest and the one that cannot be shared by
    # several hosts: the shared configuration's figure as a share of it.
    per_process = {}
    if "CACHE_URL" in env:
        cached = [s for s in scenarios if s[0] in CACHED_PAGES or s[0] == "floor"]
        with gunicorn({k: v for k, v in env.items() if k != "CACHE_URL"}, args) as server:
            per_process = measure_rounds(base, cached, args, server)
    commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True,
                            text=True).stdout.strip()
    print(f"\ncommit {commit}, {os.cpu_count()} CPUs, {worker_count} gunicorn workers, "
          f"wrk -t2 -c{args.connections}, {args.rounds} rounds of {args.seconds} s a page, "
          f"cache {os.environ.get('CACHE_URL', 'locmem (per worker)')}\n")
    print_table(results, sizes, orders)
    if per_process:
        print_cache_comparison(results, per_process)
    wrong = orders["oversold"] or orders["double_charges"] or orders["problems"] or not orders["consistent"]
    return 1 if wrong else 0


@contextlib.contextmanager
def gunicorn(env: dict, args):
    """gunicorn on the benchmark database with the project's settings, up
    and answering, stopped on the way out."""
    command = [sys.executable, "-m", "gunicorn", "okryu.wsgi", "--config", str(ROOT / "gunicorn.conf.py"),
               "--bind", f"127.0.0.1:{args.port}", "--access-logfile", "/dev/null"]
    command += ["--workers", str(args.workers)] if args.workers else []
    command += ["--threads", str(args.threads)] if args.threads else []
    server = subprocess.Popen(command, cwd=ROOT, env=env)
    try:
        wait_until_up(f"http://127.0.0.1:{args.port}")
        yield server
    finally:
        server.terminate()
        server.wait(timeout=30)


def measure_rounds(base: str, scenarios, args, server) -> dict[str, list]:
    """Each scenario measured in turn, ``args.rounds`` times: (req/s, p50,
    p99, workers' peak RSS) per round."""
    results: dict[str, list] = {}
    for _round in range(args.rounds):
        for name, paths, extra in scenarios:
            if extra.get("first_views"):
                # A smaller catalogue has fewer pages to see for the first time.
                per_round = min(FIRST_VIEWS_PER_ROUND, len(paths) // args.rounds)
                paths, extra = paths[_round * per_round:][:per_round], {"warm_up": False}
            elif not extra:
                # Each round: a page nobody asked for in 300 s has left the cache,
                # and a cached page's row measures it cached, not 8 connections
                # building it at once (a category's facets count 500,000
                # products of a million-product catalogue: a second or more).
                visit_each(base, paths, args.connections)
            with MemorySampler(server.pid) as memory:
                measured = run_wrk(base, paths, seconds=args.seconds, connections=args.connections, **extra)
            results.setdefault(name, []).append((*measured, memory.peak_mb))
            wait_until_idle()  # requests wrk gave up on still run: not into the next page's figures
            print(f"  round {_round + 1}: {name}: {measured[0]:.1f} req/s", file=sys.stderr, flush=True)
    return results


def pages(rounds: int) -> list[tuple[str, list[str], dict]]:
    """The URLs of each scenario, read from the benchmark catalogue."""

    from bench import checkout
    from catalog.models import Category, Product, Seller
    from lodging.models import Lodging

    # The top category with the most products in its tree.
    tops = list(Category.objects.filter(parent=None, slug__startswith="bench-"))
    if not tops:
        sys.exit("No benchmark catalogue: run bench/load_catalog.py first.")
    for top in tops:
        top.count = Product.objects.listed().filter(category__path__startswith=top.path).count()
    top = max(tops, key=lambda top: top.count)
    # The keyset cursor of the row DEEP_ROW rows into the top category's
    # default sort (cheapest), as the Next links would reach it: page 2,000
    # (the last page, in a catalogue too small for that).
    in_top = Product.objects.listed().filter(category__in=Category.objects.within(top))
    deep = in_top.order_by("best_price", "id").values_list("best_price", "id")[min(DEEP_ROW, top.count) - 1]
    slugs = list(Product.objects.listed().filter(slug__startswith="bench-").order_by("?")
                 .values_list("slug", flat=True)[:PRODUCT_PAGES + FIRST_VIEWS_PER_ROUND * rounds])
    seller = Seller.objects.filter(slug__startswith="bench-").exclude(kind=Seller.Kind.LODGING).order_by("pk").first()
    lodging = Lodging.objects.filter(slug__startswith=STAY_PREFIX).order_by("pk").first()
    if lodging is None:
        sys.exit("No benchmark stays: run bench/load_lodging.py first.")
    stay = stay_query()
    never_asked = [f"{word} {n}" for n in random.Random(1).sample(range(100_000), FIRST_VIEWS_PER_ROUND * rounds // 2)
                   for word in random.Random(n).sample(COMMON_WORDS, 2)]
    cart_cookie = checkout.cart_session(lines=CART_LINES)
    add = checkout.add_to_cart_request()
    return [
        ("floor", ["/floor/"], {}),
        ("home", ["/"], {}),
        ("category page 1", [f"/c/{top.slug}/"], {}),
        ("category deep page", [f"/c/{top.slug}/?after={deep[0]}_{deep[1]}"], {}),
        ("search ko common 냉면", ["/search/?q=%EB%83%89%EB%A9%B4"], {}),
        ("search ko typo 랭멘", ["/search/?q=%EB%9E%AD%EB%A9%98"], {}),
        ("search en common noodles", ["/search/?q=noodles"], {}),
        ("search en typo raengmyun", ["/search/?q=raengmyun"], {}),
        (f"search seller {seller.name_ko}", [f"/search/?q={quote(seller.name_ko)}"], {}),
        (f"search seller+product {seller.name_ko} 김치", [f"/search/?q={quote(seller.name_ko + ' 김치')}"], {}),
        ("search, never asked before", [f"/search/?q={quote(query)}" for query in never_asked], {"first_views": True}),
        (f"product ({PRODUCT_PAGES:,} pages)", [f"/p/{slug}/" for slug in slugs[:PRODUCT_PAGES]], {}),
        ("product, first view", [f"/p/{slug}/" for slug in slugs[PRODUCT_PAGES:]], {"first_views": True}),
        ("seller", [f"/s/{seller.slug}/"], {}),
        ("cart", ["/cart/"], {"headers": {"Cookie": cart_cookie}}),
        ("add-to-cart POST", ["/cart/add/"], add),
        ("category page 1, no gzip", [f"/c/{top.slug}/"], {"gzip": False}),
        ("stays: city-wide search", [f"/stays/?{stay}"], {}),
        ("stays: nearest to a district", [f"/stays/?{stay}&near=jung&sort=distance"], {}),
        ("stays: city-wide search, never asked before", [f"/stays/?{query}" for query in stay_queries_never_asked()],
         {"first_views": True}),
        ("stays: lodging page", [f"/stays/{lodging.slug}/?{stay}"], {}),
    ]


def stay_query() -> str:
    """Two nights for two, a month ahead: every lodging's 5 room types are
    priced over those nights, and the full ones left out."""
    from django.utils import timezone

    arrival = timezone.localdate() + timedelta(days=30)
    return f"arrival={arrival.isoformat()}&departure={(arrival + timedelta(days=2)).isoformat()}&guests=2"


def stay_queries_never_asked() -> list[str]:
    """Every city-wide search of one to three nights for one to four guests
    arriving in the next 330 days, in a fixed random order: each a search
    nobody asked before, built from the database."""
    from django.utils import timezone

    today = timezone.localdate()
    queries = [f"arrival={(today + timedelta(days=day)).isoformat()}"
               f"&departure={(today + timedelta(days=day + nights)).isoformat()}&guests={guests}"
               for day in range(1, 331) for nights in (1, 2, 3) for guests in (1, 2, 3, 4)]
    random.Random(18).shuffle(queries)
    return queries


def measure_pages(scenarios) -> dict[str, tuple]:
    """(SQL queries with an empty cache, warm, HTML bytes, gzipped bytes) of
    each page, fetched once in this process with the test client."""
    from django.core.cache import cache
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    sizes = {}
    for name, paths, extra in scenarios:
        if name == "floor":
            continue
        headers = {"HTTP_COOKIE": extra["headers"]["Cookie"]} if "headers" in extra else {}
        client, counts = Client(HTTP_ACCEPT_LANGUAGE="ko", **headers), []
        for warm in (False, True):
            if not warm:
                cache.clear()
            with CaptureQueriesContext(connection) as queries:
                if "bodies" in extra:
                    response = client.post(paths[0], extra["bodies"][0],
                                           content_type="application/x-www-form-urlencoded")
                else:
                    response = client.get(paths[0])
            assert response.status_code in (200, 302), (name, response.status_code)
            counts.append(len(queries))
        sizes[name] = (counts[0], len(response.content), len(gzip.compress(response.content, 6)), counts[1])
    sizes["floor"] = (1, sizes["category page 1"][1], None, 1)
    return sizes


class MemorySampler:
    """Peak total resident memory of the gunicorn workers (the master's
    children), read from /proc every 0.2 s while a run lasts."""

    def __init__(self, master: int):
        self.master, self.peak_mb, self._stop = master, 0.0, threading.Event()

    def workers(self) -> list[int]:
        children = Path(f"/proc/{self.master}/task/{self.master}/children")
        return [int(pid) for pid in children.read_text().split()] if children.exists() else []

    def sample(self) -> float:
        total = 0
        for pid in self.workers():
            try:
                rss = re.search(r"VmRSS:\s+(\d+) kB", Path(f"/proc/{pid}/status").read_text())
            except OSError:
                continue
            total += int(rss.group(1)) if rss else 0  # a worker exiting (max_requests) has none
        return total / 1024

    def _loop(self):
        while not self._stop.wait(0.2):
            self.peak_mb = max(self.peak_mb, self.sample())

    def __enter__(self):
        self._thread = threading.Thread(target=self._loop, daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self._stop.set()
        self._thread.join()


def visit_each(base: str, paths: list[str], connections: int) -> None:
    """Request every page once, as the visitors before the measured ones did."""
    def visit(path):
        request = urllib.request.Request(base + path, headers=BROWSER)
        with urllib.request.urlopen(request, timeout=30) as response:
            response.read()

    with ThreadPoolExecutor(connections) as pool:
        list(pool.map(visit, paths))


def wait_until_up(base: str) -> None:
    for _ in range(100):
        try:
            urllib.request.urlopen(base + "/healthz", timeout=30)
            return
        except OSError:
            time.sleep(0.2)
    raise SystemExit("gunicorn did not start")


def wait_until_idle() -> None:
    """Until no other session runs a statement on the benchmark database (at
    most the statement timeout, 15 s)."""
    from django.db import connection

    for _ in range(200):
        with connection.cursor() as cursor:
            cursor.execute("SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
                           "AND state = 'active' AND pid <> pg_backend_pid()")
            if not cursor.fetchone()[0]:
                return
        time.sleep(0.1)


LUA = """
paths = {%s}
bodies = {%s}
counter = 0
%s
-- Each wrk thread starts at its own place in the list, so that two threads
-- do not request the same pages one after the other.
local threads = 0
function setup(thread)
  thread:set("counter", threads * math.floor(#paths / 2))
  threads = threads + 1
end
request = function()
  counter = counter + 1
  if #bodies > 0 then
    return wrk.format("POST", paths[1], nil, bodies[(counter %% #bodies) + 1])
  end
  return wrk.format("GET", paths[(counter %% #paths) + 1])
end
"""


def run_wrk(base: str, paths: list[str], *, seconds: int, connections: int, headers=None, bodies=(), token=None,
            gzip: bool = True, warm_up: bool = True) -> tuple[float, float, float]:
    headers = {**(BROWSER if gzip else {"Accept-Language": "ko"}), **(headers or {})}
    if bodies:
        headers.update({"Content-Type": "application/x-www-form-urlencoded", "X-CSRFToken": token})
    header_lines = "\n".join(f'wrk.headers["{key}"] = "{value}"' for key, value in headers.items())
    with tempfile.NamedTemporaryFile("w", suffix=".lua") as script:
        script.write(LUA % (", ".join(f'"{path}"' for path in paths), ", ".join(f'"{body}"' for body in bodies),
                            header_lines))
        script.flush()
        # A 10 s timeout so that slow pages are measured rather than dropped.
        command = ["wrk", "-t2", f"-c{connections}", "--timeout", "10s", "--latency", "-s", script.name, base]
        if warm_up:
            subprocess.run([*command[:3], "-d3s", *command[3:]], capture_output=True, check=True)
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


def print_table(results: dict, sizes: dict, orders: dict) -> None:
    # The floor moves between rounds with whatever else the machine does:
    # each page is compared with the floor of its own round.
    floors = [rate for rate, *_ in results["floor"]]
    print("| page | req/s (median) | req/s min–max | p50 ms | p99 ms | SQL cold/warm | HTML bytes | gzip bytes "
          "| workers RSS MB | × floor |")
    print("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
    for name, runs in results.items():
        rates = [run[0] for run in runs]
        cold, raw, packed, warm = sizes[name]
        print(f"| {name} | {statistics.median(rates):.1f} | {min(rates):.1f}–{max(rates):.1f} "
              f"| {statistics.median(run[1] for run in runs):.1f} | {statistics.median(run[2] for run in runs):.1f} "
              f"| {cold}/{warm} | {raw:,} | {packed and f'{packed:,}' or '—'} | {max(run[3] for run in runs):.0f} "
              f"| {statistics.median(rate / floor for rate, floor in zip(rates, floors, strict=True)):.2f} |")
    print(f"| checkout (cart, address, pay page, pay), {orders['buyers']} buyers | {orders['rate']:.1f} orders/s "
          f"| {orders['orders']} orders in {orders['seconds']:.0f} s | {orders['p50']:.0f} | {orders['p99']:.0f} "
          f"| | | | {orders['rss']:.0f} | |")
    print(f"\ncheckout: {orders['orders']} orders, {orders['sold_out']} refused as sold out, "
          f"{orders['errors']} errors; stock taken {orders['taken']} = units ordered {orders['units']}; "
          f"lowest stock {orders['lowest_stock']}; oversold {orders['oversold']}; "
          f"double charges {orders['double_charges']}; reconciliation problems {orders['problems']}"
          f"{'' if orders['consistent'] else ' — STOCK TAKEN DIFFERS FROM UNITS ORDERED'}")


def print_cache_comparison(shared: dict, per_process: dict) -> None:
    print("\n| cached page | shared cache req/s | per-process cache req/s | shared ÷ per-process |")
    print("| --- | ---: | ---: | ---: |")
    for name, runs in per_process.items():
        if name == "floor":
            continue
        ours, theirs = (statistics.median(run[0] for run in r) for r in (shared[name], runs))
        print(f"| {name} | {ours:.1f} | {theirs:.1f} | {ours / theirs:.2f} |")


if __name__ == "__main__":
    sys.exit(main())
