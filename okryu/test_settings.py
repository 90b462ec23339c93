"""Settings for the test suite: production settings with the values a
test machine lacks filled in, and a fast password hasher."""

import os

os.environ.setdefault("SECRET_KEY", "okryu-tests-only")
os.environ.setdefault("ALLOWED_HOSTS", "testserver,127.0.0.1,localhost")
os.environ.setdefault("SECURE_SSL_REDIRECT", "false")
os.environ.setdefault("SESSION_COOKIE_SECURE", "false")
os.environ.setdefault("CSRF_COOKIE_SECURE", "false")
os.environ["DEBUG"] = "false"

from okryu.settings import *  # noqa: E402,F403

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
STORAGES = {**STORAGES, "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}}  # noqa: F405
MEDIA_ROOT = BASE_DIR / "var" / "test-media"  # noqa: F405
# A replica alias on the test database itself (Django's TEST MIRROR): the
# router tests switch it on with settings.DATABASE_REPLICAS = ["replica"]
# and tell the two roads apart by each alias's query log. Off otherwise, so
# every other test sees one database, as production without replicas does.
DATABASES["replica"] = {**DATABASES["default"], "TEST": {"MIRROR": "default"}}  # noqa: F405
