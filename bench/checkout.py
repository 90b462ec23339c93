"""Checkout under load, and the sessions the cart benchmarks use.

``prepare`` creates (once) the buyers, each with a password, a funded
e-card and an address in a district a transport service covers, opens
fresh delivery slots with room for every order, and puts a known stock on a
few "hot" offers that every buyer competes for. ``run`` then logs every
buyer in and has each loop, in its own thread over plain HTTP (http.client,
cookies by hand): add a hot offer to the cart, choose the address, open the
pay page, pay with the PIN. The login is outside the loop, as a customer
logs in once and may order many times; it is what a checkout does that is
measured. Afterwards it checks the stock of the hot offers (never negative,
what was taken equals the units of the orders placed in the run: 0
oversold), that each order took one payment (0 double charges), and runs
``orders.reconcile.problems`` over the whole database.
"""

import html
import http.client
import random
import re
import statistics
import threading
import time
import urllib.parse
from datetime import timedelta

PREFIX = "bench-buyer-"
PASSWORD = "okryu-bench-password"
PIN = "1234"
# Most hot offers last the run; a few sell out, so refusals are exercised too.
HOT_STOCK = [2000] * 15 + [3] * 5


def prepare(*, buyers: int) -> list[dict]:
    from django.contrib.auth import get_user_model
    from django.db import transaction
    from django.utils import timezone

    from catalog.models import Offer
    from delivery.models import District, ServiceArea, TimeSlot, TransportService
    from orders.models import Address, Cart
    from payments import services as payments

    district, _ = District.objects.get_or_create(slug="bench-district", defaults={
        "name_ko": "시험구역", "name_en": "Bench district"})
    service, created = TransportService.objects.get_or_create(name_en="Bench express", defaults={
        "name_ko": "시험급송", "vehicle": "motorbike"})
    if created:
        ServiceArea.objects.create(service=service, district=district, fee=1000)
    start = timezone.now() + timedelta(hours=2)
    TimeSlot.objects.create(service=service, starts_at=start, ends_at=start + timedelta(hours=1), capacity=30_000)
    users = []
    for n in range(buyers):
        user = get_user_model().objects.filter(username=f"{PREFIX}{n}").first()
        if user is None:
            with transaction.atomic():
                user = get_user_model().objects.create(username=f"{PREFIX}{n}")
                user.set_password(PASSWORD)
                user.save()
                # A new random number: a sequence restarted in another process would repeat one.
                card = payments.issue_card(holder_name=user.username, pin=PIN, owner=user)
                payments.top_up(card=card, amount=10**9, idempotency_key=f"bench-top-up:{card.number}")
                Address.objects.create(user=user, district=district, recipient_name="김철민",
                                       phone="+8501911112222", line="1동 2호")
        Cart.objects.filter(user=user).delete()
        users.append({"username": user.username, "card": user.cards.get().pk,
                      "address": user.addresses.get().pk})
    hot = list(Offer.objects.filter(product__slug__startswith="bench-", product__fresh_minutes=None, is_active=True)
               .order_by("pk").values_list("pk", flat=True)[: len(HOT_STOCK)])
    for offer_id, stock in zip(hot, HOT_STOCK, strict=True):
        Offer.objects.filter(pk=offer_id).update(stock=stock)
    for user in users:
        user["hot"] = hot
    return users


def cart_session(*, lines: int) -> str:
    """The Cookie header of a logged-in customer with ``lines`` cart lines."""
    from catalog.models import Offer
    from orders import services
    from orders.models import Cart

    user, client = _session_user("bench-cart")
    cart, _ = Cart.objects.get_or_create(user=user)
    for offer in Offer.objects.filter(product__slug__startswith="bench-", stock__gt=0).order_by("pk")[:lines]:
        services.add_to_cart(cart=cart, offer=offer, quantity=1)
    return f"sessionid={client.cookies['sessionid'].value}"


def add_to_cart_request() -> dict:
    """What wrk posts to /cart/add/: a logged-in session, a CSRF cookie and
    token, and a body per offer it cycles through."""
    from django.utils.crypto import get_random_string

    from catalog.models import Offer

    _user, client = _session_user("bench-adder")
    token = get_random_string(32)  # an unmasked CSRF secret is a valid token too
    offers = Offer.objects.filter(product__slug__startswith="bench-", stock__gte=50, is_active=True).order_by("pk")
    return {
        "headers": {"Cookie": f"sessionid={client.cookies['sessionid'].value}; csrftoken={token}"},
        "bodies": [f"offer={pk}&quantity=1&csrfmiddlewaretoken={token}"
                   for pk in offers.values_list("pk", flat=True)[:500]],
        "token": token,
    }


def _session_user(username: str):
    from django.contrib.auth import get_user_model
    from django.test import Client

    from orders.models import Cart

    user, _ = get_user_model().objects.get_or_create(username=username)
    Cart.objects.filter(user=user).delete()
    client = Client()
    client.force_login(user)
    return user, client


class Browser:
    """One buyer's keep-alive connection with its cookies."""

    def __init__(self, base: str):
        self.host = urllib.parse.urlsplit(base).netloc
        self.connection = http.client.HTTPConnection(self.host, timeout=30)
        self.cookies: dict[str, str] = {}

    def request(self, method: str, path: str, data: dict | None = None) -> tuple[int, str, str]:
        headers = {"Cookie": "; ".join(f"{k}={v}" for k, v in self.cookies.items()), "Accept-Language": "ko"}
        body = None
        if data is not None:
            data = {**data, "csrfmiddlewaretoken": self.cookies.get("csrftoken", "")}
            body = urllib.parse.urlencode(data)
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        self.connection.request(method, path, body=body, headers=headers)
        response = self.connection.getresponse()
        text = response.read().decode()
        for header in response.headers.get_all("Set-Cookie") or []:
            name, _, rest = header.partition("=")
            self.cookies[name.strip()] = rest.split(";")[0]
        return response.status, response.headers.get("Location", ""), text


def _log_in(browser: Browser, buyer: dict) -> None:
    browser.request("GET", "/accounts/login/")
    status, _, _ = browser.request("POST", "/accounts/login/", {"username": buyer["username"], "password": PASSWORD})
    if status != 302:
        raise RuntimeError(f"{buyer['username']} could not log in: {status}")


def _buy(browser: Browser, buyer: dict, offer: int, quantity: int) -> str:
    """One checkout of a logged-in buyer; 'ordered', 'sold out' or 'error: …'."""
    status, _, _ = browser.request("POST", "/cart/add/", {"offer": offer, "quantity": quantity})
    if status != 302:
        return f"error: add {status}"
    status, location, _ = browser.request("POST", "/checkout/", {"address": buyer["address"]})
    if status != 302:
        return f"error: address {status}"
    status, location, page = browser.request("GET", "/checkout/pay/")
    if status == 302 and location.endswith("/cart/"):
        return "sold out"  # the add was refused: nothing left of that offer
    token = re.search(r'name="token" value="([0-9a-f-]+)"', page)
    cart = re.search(r'name="cart" value="([0-9a-f]+)"', page)
    slot = re.search(r'name="slot" value="(\d+)"', page)
    if status != 200 or not token or not cart or not slot:
        return f"error: pay page {status}{_first_error(page)}"
    status, location, page = browser.request("POST", "/checkout/pay/", {
        "token": token.group(1), "cart": cart.group(1), "slot": slot.group(1), "card": buyer["card"], "pin": PIN})
    if status == 302 and "/orders/" in location:
        return "ordered"
    if status == 302 and location.endswith("/cart/"):
        # Refused (sold out): empty the cart for the next try.
        _, _, cart = browser.request("GET", "/cart/")
        for line in set(re.findall(r'action="/cart/lines/(\d+)/"', cart)):
            browser.request("POST", f"/cart/lines/{line}/", {"remove": "1", "quantity": "0"})
        return "sold out"
    return f"error: pay {status}{_first_error(page)}"


def _first_error(page: str) -> str:
    """The first error message a page shows (a form's or a field's), to say
    why a step failed: ", <message>", or nothing."""
    error = re.search(r'class="(?:msg )?error"[^>]*>(?:<p>)?([^<]+)', page)
    return f", {html.unescape(error.group(1).strip())}" if error else ""


def run(base: str, buyers: list[dict], *, seconds: int) -> dict:
    """Every buyer, logged in, checks out in a loop for ``seconds``; then the
    stock, payment and reconciliation checks."""
    from django.db.models import Sum

    from catalog.models import Offer
    from orders import reconcile
    from orders.models import Order, OrderLine
    from payments.models import Payment

    hot = buyers[0]["hot"]
    stock_before = dict(Offer.objects.filter(pk__in=hot).values_list("pk", "stock"))
    started_at_line = OrderLine.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
    started_at_order = Order.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
    started_at_payment = Payment.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
    outcomes: list[str] = []
    timings: list[float] = []
    browsers = []
    for buyer in buyers:
        browsers.append(Browser(base))
        _log_in(browsers[-1], buyer)
    deadline = time.monotonic() + seconds

    def buyer_loop(buyer: dict, browser: Browser, rng: random.Random):
        available = list(buyer["hot"])
        while time.monotonic() < deadline and available:
            offer = rng.choice(available)
            began = time.monotonic()
            outcome = _buy(browser, buyer, offer, rng.randint(1, 3))
            if outcome == "ordered":
                timings.append(time.monotonic() - began)
            elif outcome == "sold out":
                available.remove(offer)
            outcomes.append(outcome)

    threads = [threading.Thread(target=buyer_loop, args=(buyer, browser, random.Random(n)))
               for n, (buyer, browser) in enumerate(zip(buyers, browsers, strict=True))]
    began = time.monotonic()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.monotonic() - began
    stock_after = dict(Offer.objects.filter(pk__in=hot).values_list("pk", "stock"))
    units = OrderLine.objects.filter(pk__gt=started_at_line, offer_id__in=hot).aggregate(units=Sum("quantity"))
    taken = sum(stock_before.values()) - sum(stock_after.values())
    ordered_units = units["units"] or 0
    orders = Order.objects.filter(pk__gt=started_at_order).count()
    payments = Payment.objects.filter(pk__gt=started_at_payment, idempotency_key__startswith=reconcile.CHECKOUT_KEY)
    problems = reconcile.problems()
    if problems:
        print(f"  reconciliation problems: {problems}")
    errors = [outcome for outcome in outcomes if outcome.startswith("error")]
    if errors:
        print(f"  checkout errors: {sorted(set(errors))}")
    return {
        "buyers": len(buyers), "orders": outcomes.count("ordered"), "sold_out": outcomes.count("sold out"),
        "errors": len(errors), "seconds": elapsed, "rate": outcomes.count("ordered") / elapsed,
        "p50": statistics.median(timings) * 1000 if timings else 0,
        "p99": statistics.quantiles(timings, n=100)[98] * 1000 if len(timings) > 1 else 0,
        "taken": taken, "units": ordered_units, "lowest_stock": min(stock_after.values()),
        "consistent": ordered_units == taken,
        "oversold": max(0, ordered_units - sum(stock_before.values())) + sum(-min(0, s) for s in stock_after.values()),
        "double_charges": payments.count() - orders, "problems": sum(len(rows) for rows in problems.values()),
    }
