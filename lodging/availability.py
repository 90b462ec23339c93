"""What each room type costs and how many of its rooms are free, night by
night: one SQL statement that search, the lodging page, the calendar and
the booking service all read, so a price or a free room means the same
thing everywhere.

A night's price is the rate rule covering it (highest priority, then
newest), else the base rate, plus the extra-guest rate for each guest above
those included. A night's free rooms are the rooms less those taken, plus
the holds that expired without being released yet (they stop counting the
moment they expire; the booking service releases them when it next needs
the room). A closure makes a night unavailable whatever is free.
"""

from dataclasses import dataclass, field
from datetime import date, timedelta

from okryu.db import read_connection

NIGHTS_SQL = """
WITH rooms AS (
  SELECT rt.id, rt.lodging_id, rt.base_rate, rt.room_count, rt.included_guests, rt.extra_guest_rate
  FROM lodging_roomtype rt JOIN lodging_lodging l ON l.id = rt.lodging_id
  WHERE rt.is_active AND l.is_active AND {where}
),
-- Whole days counted from the first night: the planner knows how many rows
-- an integer series yields (it guesses 1,000 for dates, prices the search
-- past the JIT threshold and spends a second compiling it).
span AS (
  SELECT %(first)s::date + day AS night FROM generate_series(0, %(last)s::date - %(first)s::date) AS day
),
-- Rates, expired holds and closures are each worked out once for the
-- stay's nights and joined by (room type, night): a lookup per room type
-- and night made the city-wide search twice as slow.
rates AS (
  SELECT DISTINCT ON (r.room_type_id, s.night) r.room_type_id, s.night, r.nightly_rate
  FROM lodging_raterule r JOIN span s ON s.night BETWEEN r.starts_on AND r.ends_on
  WHERE r.room_type_id IN (SELECT id FROM rooms)
    AND (cardinality(r.weekdays) = 0 OR extract(isodow FROM s.night)::int = ANY(r.weekdays))
  ORDER BY r.room_type_id, s.night, r.priority DESC, r.id DESC
),
expired AS (
  SELECT h.room_type_id, s.night, count(*) AS rooms
  FROM lodging_reservation h JOIN span s ON h.arrival <= s.night AND h.departure > s.night
  WHERE h.status = 'held' AND h.hold_expires_at <= now() AND h.room_type_id IN (SELECT id FROM rooms)
  GROUP BY h.room_type_id, s.night
),
closed AS (
  SELECT DISTINCT c.lodging_id, c.room_type_id, s.night
  FROM lodging_closure c JOIN span s ON s.night BETWEEN c.starts_on AND c.ends_on
  WHERE c.lodging_id IN (SELECT lodging_id FROM rooms)
)
SELECT rt.id AS room_type_id, rt.lodging_id, n.night,
  COALESCE(rate.nightly_rate, rt.base_rate)
    + GREATEST(%(guests)s - rt.included_guests, 0) * rt.extra_guest_rate AS price,
  COALESCE(rn.rooms, rt.room_count) - COALESCE(rn.taken, 0) + COALESCE(held.rooms, 0) AS free,
  (whole.night IS NOT NULL OR own.night IS NOT NULL) AS closed
FROM rooms rt CROSS JOIN span n
-- The range as well as the night: the planner then reads the stay's nights
-- by index instead of hashing every counter of the year.
LEFT JOIN lodging_roomnight rn ON rn.room_type_id = rt.id AND rn.night = n.night
  AND rn.night BETWEEN %(first)s::date AND %(last)s::date
LEFT JOIN rates rate ON rate.room_type_id = rt.id AND rate.night = n.night
LEFT JOIN expired held ON held.room_type_id = rt.id AND held.night = n.night
LEFT JOIN closed whole ON whole.lodging_id = rt.lodging_id AND whole.room_type_id IS NULL AND whole.night = n.night
LEFT JOIN closed own ON own.lodging_id = rt.lodging_id AND own.room_type_id = rt.id AND own.night = n.night
"""


@dataclass
class Quote:
    """A room type over a stay: each night's price, and whether a night is
    closed or has no room free."""

    room_type_id: int
    nights: list[tuple[date, int]] = field(default_factory=list)
    closed: bool = False
    full: bool = False

    @property
    def total(self) -> int:
        return sum(price for _night, price in self.nights)

    @property
    def available(self) -> bool:
        return not (self.closed or self.full)


def nights_sql(where: str) -> str:
    return NIGHTS_SQL.format(where=where)


def quotes(*, lodging_id: int, arrival: date, departure: date, guests: int,
           room_type_id: int | None = None) -> dict[int, Quote]:
    """A Quote for each active room type of the lodging (or just one), keyed
    by room type id. Room-type limits (guests, stay length) are not applied
    here: the caller says which of them it shows."""
    where, params = "rt.lodging_id = %(lodging)s", {"lodging": lodging_id}
    if room_type_id is not None:
        where += " AND rt.id = %(room_type)s"
        params["room_type"] = room_type_id
    params.update(guests=guests, first=arrival, last=departure - timedelta(days=1))
    found: dict[int, Quote] = {}
    with read_connection().cursor() as cursor:
        cursor.execute(nights_sql(where) + " ORDER BY rt.id, n.night", params)
        for room_type, _lodging, night, price, free, closed in cursor.fetchall():
            quote = found.setdefault(room_type, Quote(room_type))
            quote.nights.append((night, price))
            quote.closed = quote.closed or closed
            quote.full = quote.full or free <= 0
    return found


def calendar(*, lodging_id: int, first: date, last: date) -> dict[date, bool]:
    """Each night from ``first`` to ``last``: is any room type free and open?"""
    with read_connection().cursor() as cursor:
        cursor.execute(
            f"SELECT night, bool_or(free > 0 AND NOT closed) FROM ({nights_sql('rt.lodging_id = %(lodging)s')}) n "
            "GROUP BY night ORDER BY night",
            {"lodging": lodging_id, "guests": 1, "first": first, "last": last},
        )
        return dict(cursor.fetchall())


@dataclass
class Found:
    """One search result: a lodging's cheapest room type free for the whole stay."""

    lodging_id: int
    room_type_id: int
    total: int
    # From the centre of the lodging's district to the chosen one's; None
    # without a chosen district or when a centre is not known.
    distance_km: float | None = None


SORTS = {
    "price": "b.total, l.id",
    "rating": "s.rating DESC, b.total, l.id",
    "distance": "distance NULLS LAST, b.total, l.id",
}

# Great-circle (haversine) distance in km between the centres c and o.
DISTANCE_SQL = """
2 * 6371 * asin(sqrt(
  power(sin(radians(c.latitude - o.latitude) / 2), 2)
  + cos(radians(o.latitude)) * cos(radians(c.latitude)) * power(sin(radians(c.longitude - o.longitude) / 2), 2)
))
"""


def search(*, arrival: date, departure: date, guests: int, district_id: int | None = None,
           min_price: int | None = None, max_price: int | None = None, amenities: list[str] = (),
           near_id: int | None = None, sort: str = "price", limit: int = 20,
           offset: int = 0) -> tuple[list[Found], int]:
    """One page of lodgings with a room type that takes ``guests`` for the
    whole stay, and how many there are in all. Prices filter the nightly
    average of the stay's total (whole won, as the page shows it). With
    ``near_id`` (a district), each result has its distance from there."""
    nights = (departure - arrival).days
    where = ["rt.max_guests >= %(guests)s", "rt.min_stay <= %(nights)s", "rt.max_stay >= %(nights)s"]
    params = {"guests": guests, "nights": nights, "first": arrival, "last": departure - timedelta(days=1),
              "limit": limit, "offset": offset, "near": near_id}
    if district_id is not None:
        where.append("l.district_id = %(district)s")
        params["district"] = district_id
    if amenities:
        where.append("l.amenities @> %(amenities)s::varchar[]")
        params["amenities"] = list(amenities)
    price = []
    if min_price is not None:
        price.append("b.total >= %(min_total)s")
        params["min_total"] = min_price * nights
    if max_price is not None:
        price.append("b.total <= %(max_total)s")
        params["max_total"] = max_price * nights
    sql = f"""
    WITH nights AS ({nights_sql(" AND ".join(where))}),
    stays AS (
      SELECT room_type_id, lodging_id, sum(price) AS total FROM nights
      GROUP BY room_type_id, lodging_id HAVING bool_and(free > 0 AND NOT closed)
    ),
    best AS (
      SELECT DISTINCT ON (lodging_id) lodging_id, room_type_id, total FROM stays
      ORDER BY lodging_id, total, room_type_id
    )
    SELECT b.lodging_id, b.room_type_id, b.total, {DISTANCE_SQL} AS distance, count(*) OVER () FROM best b
    JOIN lodging_lodging l ON l.id = b.lodging_id JOIN catalog_seller s ON s.id = l.seller_id
    LEFT JOIN lodging_districtcentre c ON c.district_id = l.district_id
    LEFT JOIN lodging_districtcentre o ON o.district_id = %(near)s
    {"WHERE " + " AND ".join(price) if price else ""}
    ORDER BY {SORTS[sort]} LIMIT %(limit)s OFFSET %(offset)s
    """
    connection = read_connection()
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        rows = cursor.fetchall()
    return [Found(*row[:4]) for row in rows], (rows[0][4] if rows else 0)
