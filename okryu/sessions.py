"""Django's database sessions, with an update sent as one statement.

Django wraps every session save in a transaction so that a new session's
key clash can be caught; an update is one UPDATE, atomic by itself, and the
transaction only added BEGIN and COMMIT (two more round trips) to every
request that changes its session: an add to cart, among others."""

from django.contrib.sessions.backends import db
from django.contrib.sessions.backends.base import UpdateError
from django.db import router


class SessionStore(db.SessionStore):
    def save(self, must_create: bool = False) -> None:
        if must_create or self.session_key is None:
            return super().save(must_create=must_create)
        session = self.create_model_instance(self._get_session())
        updated = self.model.objects.using(router.db_for_write(self.model, instance=session)).filter(
            session_key=session.session_key,
        ).update(session_data=session.session_data, expire_date=session.expire_date)
        if not updated:
            # Deleted meanwhile (a logout elsewhere): as Django's, the middleware answers with an error.
            raise UpdateError
