from axes.backends import AxesStandaloneBackend
from django.contrib.auth import get_user_model
from django.contrib.auth.backends import ModelBackend

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
        # Every page's header asks whether the visitor is a courier and how
        # many notices they have not read: a join and a subquery here
        # instead of two more queries on each page.
        users = get_user_model()._default_manager.select_related("courier").annotate(
            unread_notices=unread_notices_of_user_row())
        try:
            user = users.get(pk=user_id)
        except get_user_model().DoesNotExist:
            return None
        return user if self.user_can_authenticate(user) else None
