from django.contrib.auth.hashers import Argon2PasswordHasher


class OwaspArgon2PasswordHasher(Argon2PasswordHasher):
    """Argon2id at OWASP's recommended setting of 19 MiB, 2 passes, 1 lane
    (Password Storage Cheat Sheet), rather than Django's 100 MiB in 8 lanes.

    On the 2 cores this service runs on, Django's setting takes about 210 ms
    of CPU and 100 MB per check, and a checkout makes three (the login, and
    the card PIN at the shop and again at the issuer): it held checkout to
    about 2 orders a second and made each login a cheap way to load the
    machine. This one takes about 21 ms. Online guessing is stopped by the
    login lockout and the card's five-PIN limit, not by the hash cost.

    Same algorithm name: hashes made with Django's setting still verify, and
    a password is rehashed with this one at its next login."""

    time_cost = 2
    memory_cost = 19 * 1024
    parallelism = 1
