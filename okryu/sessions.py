"""Django's database sessions, read and updated with one plain statement each.

Every request reads its session and most of a customer's requests change
it (the cart's count, the checkout's address). Django's backend builds an
ORM query for the read and, for a save, wraps an UPDATE in a transaction so
that a new session's key clash can be caught: compiling those queries was
most of the session's cost (1 ms of CPU to read, 2 to save, on a 2-core
machine where the whole add to cart takes 16), and BEGIN and COMMIT added
two round trips. A read is one SELECT and an update one UPDATE, atomic by
itself, written out here; creating a session (rare, and needing the clash
check) is still Django's."""

from django.contrib.sessions.backends import db
from django.contrib.sessions.backends.base import UpdateError
from django.db import connections, router
from django.utils import timezone


class SessionStore(db.SessionStore):
    def _execute(self, sql: str, params: list):
        # Sessions live on the primary only (okryu.db.PRIMARY_ONLY_APPS).
        connection = connections[router.db_for_write(self.model)]
        cursor = connection.cursor()
        cursor.execute(sql.format(table=connection.ops.quote_name(self.model._meta.db_table)), params)
        return cursor

    def load(self) -> dict:
        with self._execute("SELECT session_data FROM {table} WHERE session_key = %s AND expire_date > %s",
                             [self.session_key, timezone.now()]) as cursor:
            row = cursor.fetchone()
        if row is None:
            self._session_key = None
            return {}
        return self.decode(row[0])

    def save(self, must_create: bool = False) -> None:
        if must_create or self.session_key is None:
            return super().save(must_create=must_create)
        with self._execute("UPDATE {table} SET session_data = %s, expire_date = %s WHERE session_key = %s",
                             [self.encode(self._get_session()), self.get_expiry_date(),
                              self.session_key]) as cursor:
            updated = cursor.rowcount
        if not updated:
            # Deleted meanwhile (a logout elsewhere): as Django's, the middleware answers with an error.
            raise UpdateError
