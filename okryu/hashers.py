from django.contrib.auth.hashers import Argon2PasswordHasher


class OwaspArgon2PasswordHasher(Argon2PasswordHasher):
    """Argon2id at OWASP's recommended setting of 19 MiB, 2 passes, 1 lane
    (Password Storage Cheat Sheet), rather than Django's 100 MiB in 8 lanes.

    On the 2 cores this service runs on, Django's setting takes about 210 ms
    of CPU and 100 MB per check, which made each login a cheap way to load
    the machine. This one takes 21–57 ms. Online guessing is stopped by the
    login lockout, not by the hash cost. Card PINs are keyed instead
    (payments.numbers.pin_hash).

    Same algorithm name: hashes made with Django's setting still verify, and
    a password is rehashed with this one at its next login."""

    time_cost = 2
    memory_cost = 19 * 1024
    parallelism = 1
