"""Where a product page's first view spends its CPU, in process: each of
``--views`` products seen once (the cache emptied before each), profiled
with cProfile, after a warm-up that compiles the templates. Prints the CPU
time and queries per view, and the profile's own time grouped by where it
was spent.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/okryu_bench python bench/profile_product.py [--views 300]

Reads the bench catalogue (bench/load_catalog.py); writes nothing. Run it
without CACHE_URL: the per-process cache, emptied before each view. The
figures include the test client's request building and cProfile's own
overhead: compare them with each other, not with wrk's.
"""

import argparse
import cProfile
import os
import pstats
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "okryu.settings")
os.environ.setdefault("ALLOWED_HOSTS", "testserver")

# Where a function's own time goes, by its file; the first match wins.
GROUPS = [
    ("templates", ("django/template/", "django/templatetags/", "/templatetags/", "django/utils/html.py",
                   "django/utils/safestring.py", "django/utils/formats.py", "django/utils/dateformat.py")),
    ("translation", ("django/utils/translation/", "gettext.py")),
    ("ORM: building and compiling queries", ("django/db/models/sql/", "django/db/models/expressions.py",
                                             "django/db/models/lookups.py", "django/db/models/query_utils.py",
                                             "django/db/models/fields/related_lookups.py")),
    ("ORM: rows to model instances", ("django/db/models/",)),
    ("database driver and round trips", ("psycopg", "django/db/backends/")),
    ("request, middleware, urls", ("django/core/handlers/", "django/middleware/", "django/urls/",
                                   "django/http/", "django/contrib/", "django/test/", "okryu/middleware.py")),
    ("the app's own code", ("/catalog/", "/okryu/", "/orders/")),
]


# The parts of a view, by the time spent in them and what they call.
PARTS = [
    ("a first view, from the test client", "bench/profile_product.py", "first_view"),
    ("  the content built: reads and its template", "catalog/views.py", "_product_content"),
    ("    the reads, ORM querysets (before)", "django/db/models/query.py", "_fetch_all"),
    ("    the reads, catalog/product_page.py (after)", "catalog/product_page.py", "read_product"),
    ("    the content's template (_product.html)", "catalog/cache.py", "render_content"),
    ("  the page around it: header, footer, wish-list form", "catalog/views.py", "_page"),
]


def group_of(filename: str) -> str:
    for name, parts in GROUPS:
        if any(part in filename for part in parts):
            return name
    return "other (Python, libraries)"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--views", type=int, default=300)
    parser.add_argument("--warm-up", type=int, default=30)
    parser.add_argument("--top", type=int, default=25, help="functions listed by their own time")
    parser.add_argument("--cumulative", type=int, default=0, help="functions listed by their time with callees")
    args = parser.parse_args()

    import django

    django.setup()
    from django.core.cache import cache
    from django.db import connection
    from django.test import Client

    from catalog.models import Product

    slugs = list(Product.objects.filter(is_active=True, slug__startswith="bench-").order_by("pk")
                 .values_list("slug", flat=True)[: args.warm_up + args.views])
    if len(slugs) < args.warm_up + args.views:
        print(f"Only {len(slugs)} bench products: load the catalogue first (bench/load_catalog.py).")
        return 1
    client = Client()

    def first_view(slug: str) -> None:
        cache.clear()
        response = client.get(f"/p/{slug}/", secure=True)
        assert response.status_code == 200, (slug, response.status_code)

    for slug in slugs[: args.warm_up]:
        first_view(slug)
    measured = slugs[args.warm_up:]
    executed = []

    def count(execute, sql, params, many, context):
        executed.append(sql)
        return execute(sql, params, many, context)

    started = time.process_time()
    with connection.execute_wrapper(count):
        for slug in measured:
            first_view(slug)
    plain = (time.process_time() - started) / len(measured)
    queries = len(executed) / len(measured)

    profile = cProfile.Profile(time.process_time)
    profile.enable()
    for slug in measured:
        first_view(slug)
    profile.disable()
    stats = pstats.Stats(profile)
    total = sum(row[2] for row in stats.stats.values())
    groups: dict[str, float] = {}
    for (filename, _line, _name), row in stats.stats.items():
        groups[group_of(filename)] = groups.get(group_of(filename), 0) + row[2]

    print(f"{len(measured)} first views: {plain * 1000:.2f} ms CPU each (without the profiler), "
          f"{queries:g} queries each")
    print(f"\nOwn time under cProfile, {total / len(measured) * 1000:.2f} ms a view:")
    for name, seconds in sorted(groups.items(), key=lambda item: -item[1]):
        print(f"  {seconds / total:6.1%}  {seconds / len(measured) * 1000:6.2f} ms  {name}")
    print("\nTime in each part of a view, with what it calls (under cProfile):")
    for label, path, function in PARTS:
        seconds = sum(row[3] for (filename, _line, name), row in stats.stats.items()
                      if filename.endswith(path) and name == function)
        if seconds:
            print(f"  {seconds / len(measured) * 1000:6.2f} ms  {label}")
    print(f"\nThe {args.top} functions with the most own time:")
    stats.sort_stats("tottime").print_stats(args.top)
    if args.cumulative:
        stats.sort_stats("cumulative").print_stats(args.cumulative)
    return 0


if __name__ == "__main__":
    sys.exit(main())
