"""Whether a seller is open: the one rule every page, the cart and slot
booking follow, read from its weekly opening hours and its closed days.

A seller without hours is always open. Hours are local time; a period that
closes at or before it opens ends the next day, and a closed day cancels
only the periods that begin on it."""

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from django.utils import timezone

from catalog.models import ClosedDay, OpeningHours

# How far ahead "opens at" looks: a week and a day covers a seller open one
# weekday a week and closed on its next one.
LOOKAHEAD = timedelta(days=15)


class KitchenClosed(Exception):
    """A dish was asked for while its kitchen is closed; ``opens_at`` is
    when it opens next (None: not within LOOKAHEAD)."""

    def __init__(self, opens_at: datetime | None):
        super().__init__(f"the kitchen opens at {opens_at}")
        self.opens_at = opens_at


@dataclass(frozen=True)
class Schedule:
    hours: tuple[tuple[int, time, time], ...] = ()  # (weekday, opens, closes)
    closed: frozenset[date] = frozenset()

    @property
    def always_open(self) -> bool:
        return not self.hours

    def periods(self, *, start: datetime, end: datetime) -> list[tuple[datetime, datetime]]:
        """The open periods, (opens, closes) as aware datetimes, that overlap
        [start, end), in order. Not for a seller that is always open."""
        found = []
        day = timezone.localtime(start).date() - timedelta(days=1)
        while day <= timezone.localtime(end).date():
            if day not in self.closed:
                for weekday, opens, closes in self.hours:
                    if weekday != day.weekday():
                        continue
                    opening = timezone.make_aware(datetime.combine(day, opens))
                    closing = timezone.make_aware(
                        datetime.combine(day + timedelta(days=closes <= opens), closes))
                    if opening < end and closing > start:
                        found.append((opening, closing))
            day += timedelta(days=1)
        return sorted(found)

    def is_open(self, at: datetime) -> bool:
        return self.always_open or any(
            opening <= at < closing for opening, closing in self.periods(start=at, end=at + timedelta(seconds=1)))

    def opens_next(self, at: datetime) -> datetime | None:
        """When a seller closed at ``at`` opens next (None: not within LOOKAHEAD)."""
        return next((opening for opening, _ in self.periods(start=at, end=at + LOOKAHEAD) if opening > at), None)

    def next_change(self, at: datetime) -> datetime | None:
        """The first moment after ``at`` when it opens or closes."""
        if self.always_open:
            return None
        moments = [moment for period in self.periods(start=at, end=at + LOOKAHEAD) for moment in period]
        return min((moment for moment in moments if moment > at), default=None)


def schedules(seller_ids: Iterable[int] | None, *, around: datetime) -> dict[int, Schedule]:
    """The schedule of each seller (None: of every seller that has opening
    hours), for times from the day before ``around`` on; two queries (none
    for no sellers)."""
    hours, closed = defaultdict(list), defaultdict(set)
    opening_hours, closed_days = OpeningHours.objects.all(), ClosedDay.objects.all()
    if seller_ids is not None:
        seller_ids = set(seller_ids)
        if not seller_ids:
            return {}
        opening_hours, closed_days = opening_hours.filter(seller__in=seller_ids), closed_days.filter(
            seller__in=seller_ids)
    for seller_id, weekday, opens, closes in opening_hours.values_list("seller_id", "weekday", "opens_at",
                                                                       "closes_at"):
        hours[seller_id].append((weekday, opens, closes))
    since = timezone.localtime(around).date() - timedelta(days=1)
    for seller_id, day in closed_days.filter(date__gte=since).values_list("seller_id", "date"):
        closed[seller_id].add(day)
    return {pk: Schedule(tuple(hours[pk]), frozenset(closed[pk])) for pk in (
        seller_ids if seller_ids is not None else hours)}


def check_kitchen_open(offer, *, now: datetime) -> None:
    """Raise KitchenClosed when ``offer`` is a dish and its seller is closed at ``now``."""
    if not offer.product.is_hot_food:
        return
    kitchen = schedules([offer.seller_id], around=now)[offer.seller_id]
    if not kitchen.is_open(now):
        raise KitchenClosed(kitchen.opens_next(now))


def soonest_change(schedules_: Iterable[Schedule], *, at: datetime) -> datetime | None:
    """The first moment after ``at`` when any of them opens or closes: until
    then, a page showing who is open stays true."""
    return min(filter(None, (schedule.next_change(at) for schedule in schedules_)), default=None)
