import functools
from dataclasses import dataclass

from axes.backends import AxesStandaloneBackend
from django.contrib.auth import get_user_model
from django.contrib.auth.backends import ModelBackend
from django.db.models import ForeignObjectRel

from okryu.db import read_connection
from okryu.notices.services import unread_notices_of_user_row


class LoginAttemptsBackend(AxesStandaloneBackend, ModelBackend):
    """Django's username and password check behind django-axes' lockout.

    One backend, not axes' usual pair: ``login(request, user)`` after
    registration then needs no ``backend`` argument. Logins through the
    storefront and the admin pass the request, so they are counted and
    refused once locked out (axes raises). A call without a request (the
    test client's ``login()``, a shell) is not an attempt from outside and
    skips the lockout check, which axes would otherwise refuse to run.
    """

    def authenticate(self, request, username=None, password=None, **kwargs):
        if request is not None:
            AxesStandaloneBackend.authenticate(self, request, username=username, password=password, **kwargs)
        return ModelBackend.authenticate(self, request, username=username, password=password, **kwargs)

    def get_user(self, user_id):
        user = _user_with_courier(user_id)
        return user if user is not None and self.user_can_authenticate(user) else None


def _user_with_courier(pk: int):
    """The user ``pk`` with its courier (None if not one) and its count of
    unread notices (``unread_notices``), or None: what every page's header
    asks. One hand-written statement, as okryu.sessions reads the session:
    the ORM's query (select_related, the count as an annotation) took 0.5
    ms of CPU to build on every logged-in request, of 0.7 for the whole read."""
    query = _user_with_courier_query()
    connection = read_connection()
    with connection.cursor() as cursor:
        cursor.execute(query.sql, [pk])
        row = cursor.fetchone()
    if row is None:
        return None
    users = len(query.user_fields)
    user = get_user_model().from_db(connection.alias, query.user_fields, row[:users])
    courier_row = row[users:-1]
    courier = None
    if courier_row[0] is not None:
        courier = query.courier_of.related_model.from_db(connection.alias, query.courier_fields, courier_row)
        query.courier_of.field.set_cached_value(courier, user)
    # As select_related leaves it: user.courier is the courier, or raises DoesNotExist without a query.
    query.courier_of.set_cached_value(user, courier)
    user.unread_notices = row[-1]
    return user


@dataclass(frozen=True)
class _UserQuery:
    sql: str
    user_fields: list[str]  # attnames, in the order of the selected columns
    courier_fields: list[str]
    courier_of: ForeignObjectRel  # the user's reverse one-to-one to its courier


@functools.cache
def _user_with_courier_query() -> _UserQuery:
    user_model = get_user_model()
    courier_of = user_model._meta.get_field("courier")
    quote = read_connection().ops.quote_name
    users, couriers = quote(user_model._meta.db_table), quote(courier_of.related_model._meta.db_table)
    models = ((users, user_model), (couriers, courier_of.related_model))
    columns = [f"{table}.{quote(field.column)}" for table, model in models for field in model._meta.concrete_fields]
    user_pk = f"{users}.{quote(user_model._meta.pk.column)}"
    sql = (f"SELECT {', '.join(columns)}, ({unread_notices_of_user_row().sql}) FROM {users} "
           f"LEFT JOIN {couriers} ON {couriers}.{quote(courier_of.field.column)} = {user_pk} WHERE {user_pk} = %s")
    return _UserQuery(sql, [field.attname for field in user_model._meta.concrete_fields],
                      [field.attname for field in courier_of.related_model._meta.concrete_fields], courier_of)
