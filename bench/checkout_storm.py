"""Racing checkouts over HTTP, with faults: many buyers, little stock.

Each buyer is a thread with its own account, logged in over HTTP with its
own cookies and CSRF tokens. Three offers from three sellers hold a few
units each; every cart takes two or three of them (several sellers per
cart), even buyers adding them in ascending and odd buyers in descending
order; a third of the cards are funded for one purchase while their buyers
try three. Every fourth buyer submits each checkout from three threads at
once (one token), every fourth other one hangs up before reading the
answer and submits again. A checkout that got no answer or a 503 is
submitted again with the same token, as a browser's retry would.

Faults (``--faults``): once a few orders are placed, every PostgreSQL
backend of the store is terminated a few times over a second; a little
later a gunicorn worker is SIGKILLed while checkouts are in flight.

After the run, ``orders.reconcile.problems`` checks every invariant, and
the script prints requests, responses by status, orders placed, oversold,
duplicate orders per token, lost orders, and per fault its errors and the
time until the next successful checkout.

    createdb -h 127.0.0.1 -U postgres okryu_reliability
    .venv/bin/python -m bench.checkout_storm [--buyers 40] [--stock 10] [--faults]

The database named by --database-url (default the one above) is emptied
first. The reliability tests run ``storm`` on a small shop without faults.
"""

import argparse
import collections
import http.client
import http.cookiejar
import os
import re
import signal
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass, field
from datetime import timedelta

from bench.common import BASE_DIR, ENV, TERMINATE_BACKENDS, start_gunicorn

PRICE = 1_000
FEE = 1_000
CSRF = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')
TOKEN = re.compile(r'name="token" value="([0-9a-f-]+)"')
SLOT = re.compile(r'name="slot" value="(\d+)"')
CART = re.compile(r'name="cart" value="([0-9a-f]+)"')
ORDER_URL = re.compile(r"/orders/([^/]+)/$")
OK = {200, 302}


@dataclass
class Shop:
    """What the buyers need to know of the shop the setup made."""

    offers: list[int]
    stock_before: dict[int, int]
    buyers: list[dict]  # username, password, address, card, pin, purchases funded


@dataclass
class Record:
    """Every response the buyers got, and what each checkout token produced."""

    started: float = field(default_factory=time.monotonic)
    responses: list = field(default_factory=list)  # (start, end, what, status)
    orders_by_token: dict = field(default_factory=lambda: collections.defaultdict(set))
    in_flight: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)

    def placed(self) -> int:
        with self.lock:
            return len({n for numbers in self.orders_by_token.values() for n in numbers})


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


class Buyer:
    """One customer's browser: cookies, CSRF tokens, no redirects followed."""

    def __init__(self, base: str, record: Record, account: dict):
        self.base, self.record, self.account = base, record, account
        self.jar = http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(self.jar), NoRedirect)
        self.csrf = ""

    def request(self, what: str, path: str, data: dict | None = None) -> tuple[int, str, str]:
        """(status, body, Location); status 0 when no HTTP answer came."""
        body = None if data is None else urllib.parse.urlencode(data).encode()
        start = time.monotonic()
        try:
            with self.opener.open(urllib.request.Request(self.base + path, data=body), timeout=60) as response:
                status, text, location = response.status, response.read().decode(), ""
        except urllib.error.HTTPError as error:
            status, text, location = error.code, error.read().decode(errors="replace"), error.headers["Location"] or ""
        except OSError:
            status, text, location = 0, "", ""
        if ORDER_URL.search(location):
            what += " (order)"
        with self.record.lock:
            self.record.responses.append((start, time.monotonic(), what, status))
        if found := CSRF.search(text):
            self.csrf = found.group(1)
        return status, text, location

    def post(self, what: str, path: str, data: dict) -> tuple[int, str, str]:
        return self.request(what, path, {"csrfmiddlewaretoken": self.csrf, **data})

    def hang_up(self, path: str, data: dict) -> None:
        """Send the POST and close the socket without reading the answer."""
        connection = http.client.HTTPConnection(self.base.removeprefix("http://"), timeout=10)
        cookies = "; ".join(f"{cookie.name}={cookie.value}" for cookie in self.jar)
        connection.request("POST", path, urllib.parse.urlencode({"csrfmiddlewaretoken": self.csrf, **data}),
                           {"Cookie": cookies, "Content-Type": "application/x-www-form-urlencoded"})
        connection.close()

    def log_in(self) -> bool:
        for _ in range(5):
            self.request("login page", "/accounts/login/")
            status, _text, _location = self.post("login", "/accounts/login/", {
                "username": self.account["username"], "password": self.account["password"]})
            if status == 302:
                self.request("home", "/")  # the CSRF token rotates at login
                return True
            time.sleep(0.2)
        return False

    def checkout(self, offers: list[int], mode: str) -> str:
        """Fill the cart, choose the address, pay. Returns the order number,
        or why there is none: 'refused' (stock, funds, slot) or 'gave up'."""
        for offer in offers:
            self.post("add to cart", "/cart/add/", {"offer": offer, "quantity": 1})
        self.post("address", "/checkout/", {"address": self.account["address"]})
        status, text, _location = self.request("pay page", "/checkout/pay/")
        token, cart, slot = TOKEN.search(text), CART.search(text), SLOT.search(text)
        if status != 200 or not token or not cart or not slot:
            return "gave up"
        data = {"token": token.group(1), "cart": cart.group(1), "slot": slot.group(1), "card": self.account["card"],
                "card_number": "", "pin": self.account["pin"]}
        if mode == "hang up":
            self.hang_up("/checkout/pay/", data)
        answers = []

        def submit():
            with self.record.lock:
                self.record.in_flight += 1
            try:
                for _ in range(10):  # a browser retrying what got no answer
                    status, _text, location = self.post("pay", "/checkout/pay/", data)
                    if status not in (0, 503):
                        break
                    time.sleep(0.3)
                answers.append((status, location))
            finally:
                with self.record.lock:
                    self.record.in_flight -= 1

        submitters = [threading.Thread(target=submit) for _ in range(3 if mode == "replay" else 1)]
        for thread in submitters:
            thread.start()
        for thread in submitters:
            thread.join()
        numbers = {ORDER_URL.search(location).group(1) for _s, location in answers if ORDER_URL.search(location)}
        with self.record.lock:
            self.record.orders_by_token[data["token"]] |= numbers
        if numbers:
            return numbers.pop()
        for line in re.findall(r'action="/cart/lines/(\d+)/"', self.request("cart", "/cart/")[1]):
            self.post("remove", f"/cart/lines/{line}/", {"remove": "1"})
        return "refused" if all(status in OK | {409} for status, _l in answers) else "gave up"


def storm(base: str, shop: Shop, *, attempts: int = 3, record: Record | None = None) -> Record:
    """Every buyer logs in and tries ``attempts`` checkouts at once with the others."""
    record = record or Record()

    def buyer(index: int, account: dict) -> None:
        client = Buyer(base, record, account)
        if not client.log_in():
            return
        mode = "replay" if index % 4 == 1 else "hang up" if index % 4 == 3 else "plain"
        for attempt in range(attempts):
            wanted = [offer for n, offer in enumerate(shop.offers) if (index + attempt + n) % 4 != 0]
            client.checkout(wanted if index % 2 == 0 else wanted[::-1], mode)

    threads = [threading.Thread(target=buyer, args=pair) for pair in enumerate(shop.buyers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return record


def set_up_shop(*, buyers: int, stock: int, offers: int = 3) -> Shop:
    """Sellers with one offer each of ``stock`` units, a slot with room for
    everyone, and buyers with an address and a linked card; every third
    card holds the price of one full cart only. Needs Django set up."""
    from tests import factories

    district = factories.district()
    service = factories.service(districts=[district], fee=FEE)
    factories.slot(service_=service, starts_in=timedelta(hours=3), capacity=buyers * offers * 5)
    category = factories.category()
    made = [
        factories.product(category_=category, offers=[(factories.seller(), PRICE, stock)]).offers.get()
        for _ in range(offers)
    ]
    accounts = []
    for index in range(buyers):
        person = factories.user(f"buyer{index}")
        card = factories.card(owner=person, balance=(offers * PRICE + FEE) * (1 if index % 3 == 0 else 10))
        address = factories.address(owner=person, district_=district)
        accounts.append({"username": person.username, "password": factories.PASSWORD, "address": address.pk,
                         "card": card.pk, "pin": factories.PIN})
    return Shop(offers=[offer.pk for offer in made], stock_before={offer.pk: stock for offer in made},
                buyers=accounts)


def summary(record: Record, shop: Shop) -> dict:
    """The figures of a run and the invariants checked on the database."""
    from orders import reconcile
    from orders.models import Order

    numbers = {n for found in record.orders_by_token.values() for n in found}
    in_db = set(Order.objects.filter(user__username__in=[b["username"] for b in shop.buyers])
                .values_list("number", flat=True))
    sold = shop.stock_before
    from catalog.models import Offer

    left = dict(Offer.objects.filter(pk__in=sold).values_list("pk", "stock"))
    return {
        "requests": len(record.responses),
        "by status": dict(sorted(collections.Counter(status for *_r, status in record.responses).items())),
        "orders placed": len(in_db),
        "units sold": sum(sold[pk] - left[pk] for pk in sold),
        "oversold": sum(max(0, -stock) for stock in left.values()),
        "duplicate orders per token": sum(len(found) - 1 for found in record.orders_by_token.values() if found),
        "lost orders (answered, not stored)": len(numbers - in_db),
        "orders no client heard of": len(in_db - numbers),
        "problems": reconcile.problems(stock_before=shop.stock_before),
    }


def _workers(master: int) -> list[int]:
    with open(f"/proc/{master}/task/{master}/children") as children:
        return [int(pid) for pid in children.read().split()]


def _faults(record: Record, gunicorn: subprocess.Popen, log: list, stop: threading.Event) -> None:
    """Terminate the store's backends every 50 ms for a second once 2 orders
    are placed; SIGKILL a worker once 4 are and checkouts are in flight."""
    from django.db import connection

    while record.placed() < 2 and not stop.wait(0.02):
        pass
    if stop.is_set():
        return
    at = time.monotonic()
    killed = 0
    with connection.cursor() as cursor:
        while time.monotonic() - at < 1.0:
            cursor.execute(TERMINATE_BACKENDS)
            killed += cursor.fetchone()[0]
            time.sleep(0.05)
    connection.close()
    log.append((f"{killed} PostgreSQL backends terminated over 1 s", at))
    while (record.placed() < 4 or record.in_flight == 0) and not stop.wait(0.01):
        pass
    if stop.is_set():
        return
    victim = _workers(gunicorn.pid)[0]
    log.append((f"gunicorn worker {victim} SIGKILLed with {record.in_flight} checkout(s) in flight", time.monotonic()))
    os.kill(victim, signal.SIGKILL)


def _fault_report(record: Record, at: float) -> str:
    bad = sorted((end, status) for _s, end, _w, status in record.responses if end >= at and status not in OK | {409})
    window = [(end, status) for end, status in bad if end - at < 10]
    answered = min((end for start, end, _w, status in record.responses if start >= at and status in OK), default=None)
    placed = min((end for start, end, what, status in record.responses
                  if start >= at and what == "pay (order)"), default=None)
    errors = dict(collections.Counter(status for _e, status in window))
    outage = (window[-1][0] - at) if window else 0.0

    def after(moment):
        return f"{moment - at:.2f} s" if moment else "never"

    return (f"errors by status {errors or '{}'} within {outage:.2f} s; first good answer started after it "
            f"{after(answered)}, first checkout placed after it {after(placed)}")


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--buyers", type=int, default=40)
    parser.add_argument("--stock", type=int, default=10)
    parser.add_argument("--attempts", type=int, default=3)
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--faults", action="store_true")
    parser.add_argument("--database-url", default="postgres://postgres@127.0.0.1:5432/okryu_reliability")
    options = parser.parse_args()

    env = {**ENV, "DATABASE_URL": options.database_url, "DB_STATEMENT_TIMEOUT": "10s", "CONN_MAX_AGE": "60"}
    os.environ.update(env)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "okryu.settings")
    for command in (["migrate", "--noinput"], ["flush", "--noinput"], ["collectstatic", "--noinput"]):
        subprocess.run([sys.executable, "manage.py", *command, "--verbosity", "0"], cwd=BASE_DIR, env=env, check=True)
    import django

    django.setup()
    shop = set_up_shop(buyers=options.buyers, stock=options.stock)
    from django.db import connection

    connection.close()
    gunicorn, base = start_gunicorn(env, workers=options.workers)
    record, faults, stop = Record(), [], threading.Event()
    injector = threading.Thread(target=_faults, args=(record, gunicorn, faults, stop))
    try:
        if options.faults:
            injector.start()
        storm(base, shop, attempts=options.attempts, record=record)
        elapsed = time.monotonic() - record.started
    finally:
        stop.set()
        if injector.is_alive():
            injector.join()
        gunicorn.terminate()
        gunicorn.wait(timeout=30)
    subprocess.run([sys.executable, "manage.py", "expire_abandoned"], cwd=BASE_DIR, env=env, check=True)
    figures = summary(record, shop)
    print(f"{options.buyers} buyers (threads) x {options.attempts} checkouts, {len(shop.offers)} offers of "
          f"{options.stock} units from {len(shop.offers)} sellers, {options.workers} gunicorn workers, "
          f"{elapsed:.1f} s")
    for name, value in figures.items():
        print(f"  {name}: {value}")
    for what, at in faults:
        print(f"  fault at {at - record.started:.2f} s: {what}: {_fault_report(record, at)}")
    slow = collections.Counter(what for start, end, what, status in record.responses
                               if status == 0 and end - start > 50)
    print(f"  no answer within the client's 60 s timeout, by request: {dict(slow)}")
    unexpected = [row for row in record.responses if row[3] >= 500 and row[3] != 503]
    print(f"  5xx other than 503: {len(unexpected)}")
    failed = figures["problems"] or figures["oversold"] or figures["duplicate orders per token"] or \
        figures["lost orders (answered, not stored)"] or unexpected
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
