"""Opening hours per weekday and closed days: a closed kitchen's dish says
when it opens and cannot be added, the home page's "now" lists only open
kitchens, and cached pages follow the clock (frozen here by patching
django.utils.timezone.now, which every caller reads at call time)."""

import re
from datetime import date, datetime, time, timedelta
from html import unescape

import pytest
from django.urls import reverse
from django.utils import timezone

from catalog import hours
from orders.models import CartLine
from tests import factories

pytestmark = pytest.mark.django_db

# 2030-05-01 is a Wednesday.
WEDNESDAY = date(2030, 5, 1)


def local(day: date, hour: int, minute: int = 0) -> datetime:
    return timezone.make_aware(datetime.combine(day, time(hour, minute)))


@pytest.fixture
def clock(monkeypatch):
    class Clock:
        def set(self, moment: datetime) -> None:
            monkeypatch.setattr(timezone, "now", lambda: moment)

    return Clock()


@pytest.fixture
def kitchen(world):
    """Okryukwan cooks 11:00–22:00 every day; its cold noodles and the
    store's soap (not a dish) are on sale."""
    restaurant = factories.seller(kind="restaurant", name_ko="옥류관", name_en="Okryukwan", slug="okryukwan",
                                  hours=(time(11), time(22)))
    noodles = factories.product(category_=world.category, slug="cold-noodles", name_en="Cold noodles",
                                fresh_minutes=40, offers=[(restaurant, 8000, 10)])
    return {"restaurant": restaurant, "noodles": noodles, "offer": noodles.offers.get()}


def add(client, offer):
    return client.post(reverse("orders:add"), {"offer": offer.pk, "quantity": 1, "next": "/"},
                       HTTP_ACCEPT_LANGUAGE="en")


def english(client, url):
    response = client.get(url, HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 200
    return response.content.decode()


class TestSchedule:
    def test_it_is_open_within_its_hours_only(self):
        schedule = hours.Schedule(((2, time(11), time(22)),))

        assert not schedule.is_open(local(WEDNESDAY, 10, 59))
        assert schedule.is_open(local(WEDNESDAY, 11))
        assert not schedule.is_open(local(WEDNESDAY, 22))
        assert not schedule.is_open(local(WEDNESDAY + timedelta(days=1), 12))  # Thursday: no hours

    def test_hours_past_midnight_run_into_the_next_day(self):
        schedule = hours.Schedule(((2, time(23), time(1, 30)),))

        assert schedule.is_open(local(WEDNESDAY + timedelta(days=1), 1))
        assert not schedule.is_open(local(WEDNESDAY, 1))

    def test_a_closed_day_cancels_the_hours_that_begin_on_it(self):
        every_day = tuple((weekday, time(23), time(1)) for weekday in range(7))
        schedule = hours.Schedule(every_day, frozenset({WEDNESDAY}))

        assert schedule.is_open(local(WEDNESDAY, 0, 30))  # Tuesday night's hours
        assert not schedule.is_open(local(WEDNESDAY, 23, 30))
        assert schedule.opens_next(local(WEDNESDAY, 12)) == local(WEDNESDAY + timedelta(days=1), 23)

    def test_a_seller_without_hours_is_always_open_and_never_changes(self):
        assert hours.Schedule().is_open(local(WEDNESDAY, 3))
        assert hours.Schedule().next_change(local(WEDNESDAY, 3)) is None

    def test_the_next_change_is_the_next_opening_or_closing(self):
        schedule = hours.Schedule(((2, time(11), time(22)),))

        assert schedule.next_change(local(WEDNESDAY, 10)) == local(WEDNESDAY, 11)
        assert schedule.next_change(local(WEDNESDAY, 12)) == local(WEDNESDAY, 22)


def test_a_closed_kitchens_dish_says_when_it_opens_and_cannot_be_added(client, clock, kitchen):
    clock.set(local(WEDNESDAY, 10))

    html = english(client, kitchen["noodles"].get_absolute_url())
    assert "The kitchen is closed: it opens at 11:00." in html
    assert 'action="/cart/add/"' not in html

    refused = add(client, kitchen["offer"])
    assert refused.status_code == 400
    assert "Okryukwan's kitchen is closed: Cold noodles can be ordered from 11:00." in unescape(
        refused.content.decode())
    assert not CartLine.objects.exists()


def test_the_same_cached_page_offers_the_dish_once_the_kitchen_opens(client, clock, kitchen):
    url = kitchen["noodles"].get_absolute_url()
    clock.set(local(WEDNESDAY, 10, 59))
    closed = client.get(url)
    assert "opens at 11:00" in english(client, url)

    clock.set(local(WEDNESDAY, 11, 1))
    opened = english(client, url)
    assert "The kitchen is closed" not in opened and "Add to cart" in opened
    # The browser's copy from before the opening is not confirmed with a 304.
    assert client.get(url, HTTP_IF_NONE_MATCH=closed["ETag"]).status_code == 200

    added = add(client, kitchen["offer"])
    assert added.status_code == 302
    assert CartLine.objects.get().offer == kitchen["offer"]


def test_a_closed_day_names_the_day_it_opens_again(client, clock, kitchen):
    kitchen["restaurant"].closed_days.create(date=WEDNESDAY)
    clock.set(local(WEDNESDAY, 12))

    html = english(client, kitchen["noodles"].get_absolute_url())

    assert "it opens on Thursday" in html and "at 11:00." in html


def test_a_kitchen_with_no_hours_ahead_is_closed_for_now(client, clock, kitchen):
    kitchen["restaurant"].opening_hours.all().delete()
    factories.opening_hours(kitchen["restaurant"], time(11), time(22), weekdays=[2])
    kitchen["restaurant"].closed_days.create(date=WEDNESDAY + timedelta(days=7))
    kitchen["restaurant"].closed_days.create(date=WEDNESDAY + timedelta(days=14))
    clock.set(local(WEDNESDAY, 23))

    assert "The kitchen is closed for now." in english(client, kitchen["noodles"].get_absolute_url())
    assert "closed for now" in add(client, kitchen["offer"]).content.decode()


def test_things_that_are_not_dishes_are_sold_whatever_the_hours(client, clock, world):
    factories.opening_hours(world.store, time(9), time(18))
    clock.set(local(WEDNESDAY, 20))

    assert add(client, world.soap.offers.get(seller=world.store)).status_code == 302


def test_an_open_kitchen_is_named_cheapest_before_a_cheaper_closed_one(client, clock, kitchen):
    late = factories.seller(kind="restaurant", name_en="Late Kitchen", hours=(time(18), time(23)))
    kitchen["noodles"].offers.create(seller=late, price=7000, stock=5)
    clock.set(local(WEDNESDAY, 12))

    html = english(client, kitchen["noodles"].get_absolute_url())

    assert html.index("Okryukwan") < html.index("Late Kitchen")
    assert html.index("Cheapest available offer") < html.index("Okryukwan")
    assert "it opens at 18:00" in html


def dishes_now(client) -> list[str]:
    """The slugs of the home page's dishes section (none when it is not shown)."""
    html = english(client, reverse("catalog:home"))
    section = re.search(r"<h2>Restaurant dishes available now</h2>(.*?)</section>", html, re.S)
    return re.findall(r'href="/p/([^/]+)/"', section.group(1)) if section else []


def test_the_home_page_lists_only_dishes_of_kitchens_open_now(client, clock, kitchen):
    always = factories.seller(kind="restaurant", name_en="Always open")
    factories.product(category_=kitchen["noodles"].category, slug="dumplings", fresh_minutes=30,
                      offers=[(always, 5000, 3)])
    clock.set(local(WEDNESDAY, 10))
    assert dishes_now(client) == ["dumplings"]

    # The same cached home page, rebuilt at the opening.
    clock.set(local(WEDNESDAY, 11))
    assert dishes_now(client) == ["dumplings", "cold-noodles"]

    clock.set(local(WEDNESDAY, 22, 5))
    assert dishes_now(client) == ["dumplings"]


def test_a_sellers_page_shows_its_week(client, kitchen):
    kitchen["restaurant"].opening_hours.filter(weekday=0).delete()

    html = english(client, kitchen["restaurant"].get_absolute_url())

    assert "Tuesday 11:00–22:00" in html and "Monday" not in html
