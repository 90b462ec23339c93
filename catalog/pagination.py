"""Keyset pagination: a page starts after (or ends before) the sort key and id
of the last row seen, so page 2,000 costs what page 1 costs: an index range
scan of one page, no OFFSET and no COUNT(*).

A cursor in the URL is ``<key>_<id>`` (``?after=1400_123``); a cursor that
does not parse is ignored and the first page is shown.
"""

import math
from dataclasses import dataclass

from django.core.exceptions import FieldDoesNotExist, ValidationError
from django.db.models import Q


@dataclass(frozen=True)
class Sort:
    """Order by ``key`` then ``id``, both ascending or both descending, so
    that one index (key, id) serves the sort in either direction."""

    key: str
    descending: bool = False

    def order_by(self, *, reverse: bool = False) -> tuple[str, str]:
        sign = "-" if self.descending != reverse else ""
        return f"{sign}{self.key}", f"{sign}id"

    def beyond(self, value, pk: int, *, reverse: bool = False) -> Q:
        """Rows that come after (key, id) = (value, pk) in this order.

        The redundant ``key >= value`` lets PostgreSQL start an index range
        scan at the cursor instead of filtering from the start."""
        op = "lt" if self.descending != reverse else "gt"
        return Q(**{f"{self.key}__{op}e": value}) & (Q(**{f"{self.key}__{op}": value}) | Q(**{f"id__{op}": pk}))


@dataclass
class Page:
    items: list
    next_cursor: str | None
    previous_cursor: str | None

    @property
    def has_other_pages(self) -> bool:
        return bool(self.next_cursor or self.previous_cursor)


def paginate(queryset, sort: Sort, *, after: str | None, before: str | None, size: int) -> Page:
    """One page of ``queryset`` in ``sort`` order, from the cursors of a request.

    Runs exactly one query whichever cursor is given: it fetches one row more
    than a page to learn whether there is another page in that direction."""
    backwards = False
    if (cursor := _parse(queryset, sort, after)) is not None:
        queryset = queryset.filter(sort.beyond(*cursor))
    elif (cursor := _parse(queryset, sort, before)) is not None:
        backwards = True
        queryset = queryset.filter(sort.beyond(*cursor, reverse=True))
    rows = list(queryset.order_by(*sort.order_by(reverse=backwards))[: size + 1])
    items, more = rows[:size], len(rows) > size
    if backwards:
        items.reverse()
        return Page(items, _cursor(sort, items[-1]) if items else None, _cursor(sort, items[0]) if more else None)
    has_previous = cursor is not None and items
    return Page(items, _cursor(sort, items[-1]) if more else None, _cursor(sort, items[0]) if has_previous else None)


def _cursor(sort: Sort, row) -> str:
    value = getattr(row, sort.key)
    return f"{value.isoformat() if hasattr(value, 'isoformat') else value}_{row.pk}"


def _parse(queryset, sort: Sort, raw: str | None):
    if not raw or "_" not in raw:
        return None
    value, _, pk = raw.rpartition("_")
    if not pk.isdigit() or len(pk) > 18:
        return None
    try:
        field = queryset.model._meta.get_field(sort.key)
    except FieldDoesNotExist:  # an annotation such as the search rank: a float
        try:
            number = float(value)
        except ValueError:
            return None
        return (number, int(pk)) if math.isfinite(number) else None
    try:
        parsed = field.to_python(value)
    except ValidationError:
        return None
    return (parsed, int(pk)) if parsed is not None else None
