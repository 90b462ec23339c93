"""A price changed through one server process shows at once on the pages
another process has cached: two gunicorns, one worker each, on the test
database, with the default cache (each process's own memory), as two
workers of `make run` or two hosts would run."""

import pytest

from bench.checkout_storm import Buyer, Record
from catalog.models import Offer
from tests import factories
from tests.live_server import BASE_DIR, gunicorn

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]


def test_a_price_changed_through_one_process_shows_through_the_other(tmp_path):
    category = factories.category(slug="noodles")
    product = factories.product(category_=category, offers=[(factories.seller(), 2800, 10)])
    offer = product.offers.get()
    staff = factories.user("staffer", is_staff=True, is_superuser=True)
    page = f"/c/{category.slug}/"
    servers = {"media_root": tmp_path / "media", "static_root": tmp_path / "static",
               "workers": 1, "settings": "tests.catalog.server_settings"}
    with gunicorn(log=BASE_DIR / "var" / "cache-gunicorn-a.log", **servers) as first, \
            gunicorn(log=BASE_DIR / "var" / "cache-gunicorn-b.log", **servers) as second:
        visitor = Buyer(second.url, Record(), {})
        for _ in range(2):  # the second answer comes from that process's cache
            status, html, _location = visitor.request("category", page)
            assert status == 200 and "2,800원" in html

        staffer = Buyer(first.url, Record(), {"username": staff.username, "password": factories.PASSWORD})
        assert staffer.log_in()
        change = f"/admin/catalog/offer/{offer.pk}/change/"
        assert staffer.request("offer", change)[0] == 200
        status, _html, _location = staffer.post("change the price", change, {
            "product": product.pk, "seller": offer.seller_id, "price": 2500, "stock": 10, "is_active": "on",
        })
        assert status == 302
        assert Offer.objects.get(pk=offer.pk).price == 2500

        status, html, _location = visitor.request("category", page)
        assert status == 200
        assert "2,500원" in html and "2,800원" not in html
