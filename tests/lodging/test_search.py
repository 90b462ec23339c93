"""The city-wide search and a lodging's page: free rooms only, the cheapest
for the stay, filters and pages in the URL, and clear refusals of bad input."""

from datetime import date, timedelta

import pytest
from django.urls import reverse

from lodging.models import Closure, DistrictCentre, RateRule, Reservation, RoomNight
from tests import factories
from tests.lodging.conftest import lodging, room_type
from tests.lodging.helpers import stay_params

pytestmark = pytest.mark.django_db


def search(client, **params):
    return client.get(reverse("lodging:search"), params, HTTP_ACCEPT_LANGUAGE="en")


def names(response) -> list[str]:
    return [result["lodging"].name_en for result in response.context["results"]]


def test_it_lists_each_lodging_with_its_cheapest_free_room_and_the_total(client, city):
    answer = search(client, **stay_params(city.arrival, city.departure))
    assert answer.status_code == 200
    assert names(answer) == ["Riverside Inn", "Koryo Hotel"]
    hotel = answer.context["results"][1]
    assert (hotel["room"], hotel["total"]) == (city.single, 80_000)
    assert "₩80,000" in answer.content.decode()


def test_a_full_night_hides_the_room_and_the_next_cheapest_shows(client, city):
    RoomNight.objects.create(room_type=city.single, night=city.arrival + timedelta(days=1), rooms=1, taken=1)
    hotel = search(client, **stay_params(city.arrival, city.departure)).context["results"][1]
    assert (hotel["room"], hotel["total"]) == (city.double, 120_000)


def test_a_closure_hides_the_lodging(client, city):
    Closure.objects.create(lodging=city.inn, starts_on=city.arrival, ends_on=city.arrival)
    assert names(search(client, **stay_params(city.arrival, city.departure))) == ["Koryo Hotel"]


def test_rate_rules_by_weekday_and_date_range_set_the_price(client, city):
    saturday = city.arrival + timedelta(days=(5 - city.arrival.weekday()) % 7)
    RateRule.objects.create(room_type=city.inn_room, starts_on=saturday, ends_on=saturday + timedelta(days=30),
                            weekdays=[6], nightly_rate=45_000)
    answer = search(client, **stay_params(saturday - timedelta(days=1), saturday + timedelta(days=1)))
    inn = answer.context["results"][0]
    assert inn["total"] == 30_000 + 45_000


def test_guests_district_price_and_amenities_filter(client, city):
    assert names(search(client, **stay_params(city.arrival, city.departure, guests=3))) == ["Koryo Hotel"]
    assert names(search(client, district="pothonggang", **stay_params(city.arrival, city.departure))) == [
        "Riverside Inn"]
    assert names(search(client, min_price=35_000, **stay_params(city.arrival, city.departure))) == ["Koryo Hotel"]
    assert names(search(client, max_price=35_000, **stay_params(city.arrival, city.departure))) == [
        "Riverside Inn"]
    assert names(search(client, amenities=["wifi"], **stay_params(city.arrival, city.departure))) == [
        "Koryo Hotel"]


def test_sorting_by_distance_puts_the_nearest_district_first(client, city):
    east = factories.district(slug="taedonggang", name_ko="대동강구역", name_en="Taedonggang District")
    far = lodging(district_=east, slug="far", name_en="East Hotel")
    room_type(lodging_=far, base_rate=10_000)
    unplaced = lodging(district_=factories.district(slug="nowhere"), slug="unplaced", name_en="Unplaced Inn")
    room_type(lodging_=unplaced, base_rate=5_000)
    DistrictCentre.objects.create(district=city.centre, latitude=39.031, longitude=125.750)
    DistrictCentre.objects.create(district=city.riverside, latitude=39.043, longitude=125.730)
    DistrictCentre.objects.create(district=east, latitude=39.033, longitude=125.803)
    params = stay_params(city.arrival, city.departure)
    from_river = search(client, sort="distance", near="pothonggang", **params)
    assert from_river.status_code == 200
    assert names(from_river) == ["Riverside Inn", "Koryo Hotel", "East Hotel", "Unplaced Inn"]
    distances = [result["distance_km"] for result in from_river.context["results"]]
    assert distances[0] == 0 and 2.1 < distances[1] < 2.3 and 6.2 < distances[2] < 6.5 and distances[3] is None
    assert "2.2 km from Pothonggang District" in from_river.content.decode()
    from_east = search(client, sort="distance", near="taedonggang", **params)
    assert names(from_east) == ["East Hotel", "Koryo Hotel", "Riverside Inn", "Unplaced Inn"]
    # Another order still says how far each is.
    by_price = search(client, near="taedonggang", **params)
    assert names(by_price)[:2] == ["Unplaced Inn", "East Hotel"]
    assert by_price.context["results"][1]["distance_km"] == 0


def test_the_site_search_box_stays_empty(client, city):
    page = search(client, district="jung", **stay_params(city.arrival, city.departure)).content.decode()
    assert 'name="q" type="search" value=""' in page


def test_results_come_in_pages_kept_in_the_url(client, city):
    for _ in range(25):
        room_type(lodging_=lodging(district_=city.centre), base_rate=90_000)
    first = search(client, **stay_params(city.arrival, city.departure))
    assert len(first.context["results"]) == 20 and first.context["found"] == 27
    assert "page=2" in first.content.decode()
    second = search(client, page=2, **stay_params(city.arrival, city.departure))
    assert len(second.context["results"]) == 7


@pytest.mark.parametrize(("params", "message"), [
    ({"arrival": "+20", "departure": "+18"}, "The departure must come after the arrival."),
    ({"arrival": "+20", "departure": "+20"}, "The departure must come after the arrival."),
    ({"arrival": "+20", "departure": "+420"}, "A stay is at most 30 nights."),
    ({"arrival": "-2", "departure": "+1"}, "The arrival date has passed."),
    ({"arrival": "+364", "departure": "+370"}, "Stays can be booked up to"),
    ({"arrival": "tomorrow", "departure": "+3"}, "Enter a date as YYYY-MM-DD."),
    ({"guests": "many"}, "Enter a whole number."),
    ({"guests": "0"}, "At least one guest."),
    ({"guests": "99999999999999999999"}, "At most 20 guests."),
    ({"district": "atlantis"}, "Choose a district from the list."),
    ({"min_price": "-5"}, "A price cannot be negative."),
    ({"max_price": "1e9"}, "Enter a whole number of won."),
    ({"min_price": "900", "max_price": "100"}, "The lowest price is above the highest."),
    ({"amenities": "jacuzzi"}, "Choose amenities from the list."),
    ({"sort": "random()"}, "Choose an order from the list."),
    ({"sort": "distance"}, "Choose the district to measure the distance from."),
    ({"sort": "distance", "near": "'; DROP TABLE lodging_lodging; --"}, "Choose a district from the list."),
    ({"page": "0"}, "That page does not exist."),
    ({"page": "x'"}, "That page does not exist."),
])
def test_bad_input_is_refused_with_a_clear_message(client, city, params, message):
    today = city.today
    query = {"arrival": "+10", "departure": "+12", "guests": "2", **params}
    for key in ("arrival", "departure"):
        if query[key][0] in "+-":
            query[key] = (today + timedelta(days=int(query[key]))).isoformat()
    answer = search(client, **query)
    assert answer.status_code == 400
    assert message in answer.content.decode()
    detail = client.get(reverse("lodging:detail", args=["koryo"]), query, HTTP_ACCEPT_LANGUAGE="en")
    assert detail.status_code in (200, 400)


def test_the_korean_page_speaks_korean(client, city):
    answer = client.get(reverse("lodging:search"), {"guests": "0"}, HTTP_ACCEPT_LANGUAGE="ko")
    assert answer.status_code == 400
    assert "숙박" in answer.content.decode()


def test_the_lodging_page_prices_each_room_night_by_night(client, city):
    RateRule.objects.create(room_type=city.double, starts_on=city.arrival, ends_on=city.arrival, nightly_rate=65_000)
    answer = client.get(reverse("lodging:detail", args=["koryo"]), stay_params(city.arrival, city.departure, 2),
                        HTTP_ACCEPT_LANGUAGE="en")
    assert answer.status_code == 200
    rooms = {room.name_en: room for room in answer.context["rooms"]}
    assert rooms["Double"].quote.nights == [(city.arrival, 65_000), (city.arrival + timedelta(days=1), 60_000)]
    assert rooms["Double"].quote.total == 125_000
    assert not rooms["Single"].fits
    page = answer.content.decode()
    assert "₩125,000" in page and "₩65,000" in page


def test_the_calendar_shows_full_nights(client, city):
    for room in (city.single, city.double):
        RoomNight.objects.create(room_type=room, night=city.arrival, rooms=room.room_count, taken=room.room_count)
    answer = client.get(reverse("lodging:detail", args=["koryo"]),
                        {"month": city.arrival.strftime("%Y-%m")}, HTTP_ACCEPT_LANGUAGE="en")
    days = {day["date"]: day for week in answer.context["calendar"] for day in week if day}
    assert days[city.arrival]["free"] is False and days[city.arrival]["bookable"] is True
    assert days[city.arrival + timedelta(days=1)]["free"] is True


def test_an_expired_hold_does_not_hide_the_room(client, city):
    RoomNight.objects.create(room_type=city.inn_room, night=city.arrival, rooms=2, taken=2)
    for n in range(2):
        Reservation.objects.create(
            code=f"X{n}", user=city.guest, lodging=city.inn, room_type=city.inn_room, room_name="x",
            arrival=city.arrival, departure=city.arrival + timedelta(days=1), guests=1, guest_names="x",
            hold_token=f"00000000-0000-0000-0000-00000000000{n}", hold_expires_at="2000-01-01T00:00:00Z",
            nightly=[], total=1, free_cancel_days=0, cancel_percent=0, no_show_percent=0,
            status="held" if n == 0 else "confirmed",
        )
    answer = search(client, **stay_params(city.arrival, city.arrival + timedelta(days=1)))
    assert "Riverside Inn" in names(answer)


def test_an_unknown_lodging_is_not_found(client, city):
    assert client.get(reverse("lodging:detail", args=["nowhere"])).status_code == 404
    assert date.today()
