import functools

from axes.backends import AxesStandaloneBackend
from django.contrib.auth import get_user_model
from django.contrib.auth.backends import ModelBackend

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
    user_model = get_user_model()
    courier_of = user_model._meta.get_field("courier")
    user_fields, courier_fields = user_model._meta.concrete_fields, courier_of.related_model._meta.concrete_fields
    connection = read_connection()
    with connection.cursor() as cursor:
        cursor.execute(_user_with_courier_sql(), [pk])
        row = cursor.fetchone()
    if row is None:
        return None
    user = user_model.from_db(connection.alias, [field.attname for field in user_fields], row[:len(user_fields)])
    courier_row = row[len(user_fields):-1]
    courier = None
    if courier_row[0] is not None:
        courier = courier_of.related_model.from_db(
            connection.alias, [field.attname for field in courier_fields], courier_row)
        courier_of.field.set_cached_value(courier, user)
    # As select_related leaves it: user.courier is the courier, or raises DoesNotExist without a query.
    courier_of.set_cached_value(user, courier)
    user.unread_notices = row[-1]
    return user


@functools.cache
def _user_with_courier_sql() -> str:
    user_model = get_user_model()
    courier_of = user_model._meta.get_field("courier")
    quote = read_connection().ops.quote_name
    users, couriers = quote(user_model._meta.db_table), quote(courier_of.related_model._meta.db_table)
    columns = [f"{table}.{quote(field.column)}" for table, model in ((users, user_model),
                                                                     (couriers, courier_of.related_model))
               for field in model._meta.concrete_fields]
    user_pk = f"{users}.{quote(user_model._meta.pk.column)}"
    return (f"SELECT {', '.join(columns)}, ({unread_notices_of_user_row().sql}) FROM {users} "
            f"LEFT JOIN {couriers} ON {couriers}.{quote(courier_of.field.column)} = {user_pk} WHERE {user_pk} = %s")
