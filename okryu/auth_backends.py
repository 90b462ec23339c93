from axes.backends import AxesStandaloneBackend


class LoginAttemptsBackend(AxesStandaloneBackend):
    """django-axes' lockout check for every login over HTTP.

    Logins through the storefront and the admin always pass the request, so
    they are counted and refused once locked out. A call without a request
    (the test client's ``login()``, a shell) is not an attempt from outside;
    axes would raise on it, so it is left to the next backend.
    """

    def authenticate(self, request, username=None, password=None, **kwargs):
        if request is None:
            return None
        return super().authenticate(request, username=username, password=password, **kwargs)
