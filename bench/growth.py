"""The cost of the pages no cache serves, as the catalogue grows: load
10,000, 100,000 and 1,000,000 products, each into a database of its own
(once; COPY, with progress and the time it took; the benchmark stays as
`make bench` has them beside), measure the growth pages
of bench/load.py on each, and print one table with each figure's ratio to
the smallest catalogue's.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/okryu_bench CACHE_URL=redis://127.0.0.1:6379/1 \\
        python bench/growth.py [--sizes 10000,100000,1000000] [--seconds 8 --rounds 3]

The databases are DATABASE_URL's name with the size appended
(okryu_bench_10k, okryu_bench_100k, okryu_bench_1m).
"""

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.common import bench_keys  # noqa: E402
from bench.load import GROWTH_PAGES  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="10000,100000,1000000")
    parser.add_argument("--seconds", default="8")
    parser.add_argument("--rounds", default="3")
    args = parser.parse_args()
    if not os.environ.get("DATABASE_URL"):
        print("Needs DATABASE_URL (the benchmark database's server; see bench/README.md).", file=sys.stderr)
        return 2
    sizes = [int(size) for size in args.sizes.split(",")]
    figures = {}
    for size in sizes:
        # The keys `make bench` gives its run, unless set: migrate and the loaders need them too.
        env = {**os.environ, **bench_keys(),
               "DATABASE_URL": f"{os.environ['DATABASE_URL']}_{label(size)}"}
        for step in (["bench/create_db.py"], ["manage.py", "migrate", "--noinput", "--verbosity", "0"],
                     ["bench/load_catalog.py", "--products", str(size)], ["bench/load_lodging.py"]):
            subprocess.run([sys.executable, *step], cwd=ROOT, env=env, check=True)
        with tempfile.NamedTemporaryFile(suffix=".json") as out:
            subprocess.run([sys.executable, "bench/load.py", "--growth", out.name, "--seconds", args.seconds,
                            "--rounds", args.rounds], cwd=ROOT, env=env, check=True)
            figures[size] = json.loads(Path(out.name).read_text())
    print(f"\n{time.strftime('%Y-%m-%d %H:%M')} UTC, load average {os.getloadavg()[0]:.1f} at the end, "
          f"{args.rounds} rounds of {args.seconds} s, cache {os.environ.get('CACHE_URL', 'locmem (per worker)')}\n")
    print_table(sizes, figures)
    return 0


def label(size: int) -> str:
    return f"{size // 1_000_000}m" if size >= 1_000_000 else f"{size // 1000}k"


def print_table(sizes: list[int], figures: dict) -> None:
    """req/s (median of the rounds), p99 ms and SQL queries with an empty
    cache per page and size, and req/s as a share of the smallest size's."""
    print("| page | " + " | ".join(f"{label(size)} req/s · p99 ms · SQL" for size in sizes)
          + f" | {label(sizes[-1])} ÷ {label(sizes[0])} |")
    print("| --- |" + " ---: |" * (len(sizes) + 1))
    for page in GROWTH_PAGES:
        rates, cells = [], []
        for size in sizes:
            runs, (cold, *_rest) = figures[size]["results"][page], figures[size]["sizes"][page]
            rate = statistics.median(run[0] for run in runs)
            rates.append(rate)
            cells.append(f"{rate:.0f} · {statistics.median(run[2] for run in runs):.0f} · {cold}")
        print(f"| {page} | " + " | ".join(cells) + f" | {rates[-1] / rates[0]:.2f} |")


if __name__ == "__main__":
    sys.exit(main())
