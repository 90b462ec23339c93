"""Where a checkout spends its CPU, in process: ``--orders`` checkouts by
one logged-in bench buyer through the test client, each the four requests
of the checkout run (add to cart, address, pay page, pay). Prints, for each
step, the CPU time and SQL statements it took, then the profile's own time
grouped as in profile_product.py.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/okryu_bench python bench/profile_checkout.py [--orders 100]

Uses the checkout run's buyers and hot offers (bench/checkout.py, created
once) and places real orders in the bench database. The CPU time is this
process's alone: PostgreSQL's own work is on top of it.
"""

import argparse
import cProfile
import os
import pstats
import re
import sys
import time
from collections import defaultdict
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "okryu.settings")
os.environ.setdefault("ALLOWED_HOSTS", "testserver")

from bench.common import bench_keys  # noqa: E402
from bench.profile_product import group_of  # noqa: E402

# The bench buyers' cards are made and paid with make bench's keys.
os.environ.update(bench_keys())

STEPS = ("add to cart", "address", "pay page", "pay")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--orders", type=int, default=100)
    parser.add_argument("--top", type=int, default=25, help="functions listed by their own time")
    args = parser.parse_args()

    import django

    django.setup()
    from django.db import connection
    from django.test import Client

    from bench import checkout

    buyer = checkout.prepare(buyers=1)[0]
    offer = buyer["hot"][0]
    client = Client()
    assert client.login(username=buyer["username"], password=checkout.PASSWORD)
    cpu, statements = defaultdict(float), defaultdict(int)
    step = [STEPS[0]]

    def count(execute, sql, params, many, context):
        statements[step[0]] += 1
        return execute(sql, params, many, context)

    def timed(name, call):
        step[0] = name
        started = time.process_time()
        response = call()
        cpu[name] += time.process_time() - started
        return response

    def buy() -> None:
        from catalog.models import Offer

        Offer.objects.filter(pk=offer).update(stock=1000)
        response = timed("add to cart", lambda: client.post("/cart/add/", {"offer": offer, "quantity": 1}, secure=True))
        assert response.status_code == 302, response.status_code
        response = timed("address", lambda: client.post("/checkout/", {"address": buyer["address"]}, secure=True))
        assert response.status_code == 302, response.status_code
        page = timed("pay page", lambda: client.get("/checkout/pay/", secure=True)).content.decode()
        fields = {name: re.search(f'name="{name}" value="([^"]+)"', page).group(1)
                  for name in ("token", "cart", "slot")}
        response = timed("pay", lambda: client.post("/checkout/pay/", {
            **fields, "card": buyer["card"], "pin": checkout.PIN}, secure=True))
        assert response.status_code == 302 and "/orders/" in response["Location"], response.status_code

    for _ in range(5):
        buy()
    cpu.clear()
    statements.clear()
    with connection.execute_wrapper(count):
        for _ in range(args.orders):
            buy()
    print(f"{args.orders} checkouts, per checkout:")
    for name in STEPS:
        print(f"  {cpu[name] / args.orders * 1000:6.2f} ms CPU  {statements[name] / args.orders:5.1f} SQL  {name}")
    print(f"  {sum(cpu.values()) / args.orders * 1000:6.2f} ms CPU  "
          f"{sum(statements.values()) / args.orders:5.1f} SQL  in all")

    profile = cProfile.Profile(time.process_time)
    profile.enable()
    for _ in range(args.orders):
        buy()
    profile.disable()
    stats = pstats.Stats(profile)
    total = sum(row[2] for row in stats.stats.values())
    groups: dict[str, float] = defaultdict(float)
    for (filename, _line, _name), row in stats.stats.items():
        groups[group_of(filename)] += row[2]
    print(f"\nOwn time under cProfile, {total / args.orders * 1000:.2f} ms a checkout:")
    for name, seconds in sorted(groups.items(), key=lambda item: -item[1]):
        print(f"  {seconds / total:6.1%}  {seconds / args.orders * 1000:6.2f} ms  {name}")
    print(f"\nThe {args.top} functions with the most own time:")
    stats.sort_stats("tottime").print_stats(args.top)
    return 0


if __name__ == "__main__":
    sys.exit(main())
