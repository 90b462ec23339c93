"""When a cached search page stops being true.

A search page shows every lodging's cheapest free room type, so any
booking, cancellation, price, closure or room count in the city can change
it. Its cached content is keyed by the stays version, a PostgreSQL sequence
(like catalog/cache.py's, read by every process alike) that lodging's
services bump after they commit a change to the rooms taken and the admin
after any save or delete of a lodging, room type, rate or closure; and by
today's date (what the form accepts, the default dates). Not by the
catalogue version, which every order moves: the sellers' ratings a search
shows and sorts by may lag by the cache's 300 s.

One change needs no write: a hold's 15 minutes running out gives its room
back. A page is therefore true only until the earliest hold still running
when it was built expires (``holds_run_until``).

The pages go through catalog.cache's shared and per-process caches, keyed
by the stays version in place of the catalogue's; "stays" leads their parts,
so they never meet a catalogue page's key.

A stale page can never sell a room: booking takes the nights under their
row locks and the counters' CHECK (lodging.services).
"""

from datetime import datetime

from catalog.cache import Version
from lodging.models import Reservation
from okryu.db import read_connection

STAYS_VERSION = Version("lodging_version")
version = STAYS_VERSION.read
bump_version = STAYS_VERSION.bump


def holds_run_until() -> datetime | None:
    """When the earliest hold still running expires (None: no hold runs)."""
    with read_connection().cursor() as cursor:
        cursor.execute(
            "SELECT min(hold_expires_at) FROM lodging_reservation WHERE status = %s AND hold_expires_at > now()",
            [Reservation.Status.HELD],
        )
        return cursor.fetchone()[0]
