"""Settings of the gunicorn that the browser tests drive: the test settings
(same password hasher, so users made by the tests can log in), with static
files stored as in production (hashed names, precompressed copies) so that
page weights are measured as a phone would receive them. The fixture passes
the collected folder and the media folder in the environment."""

import os

from okryu.test_settings import *  # noqa: F403
from okryu.test_settings import STORAGES

STATIC_ROOT = os.environ["OKRYU_BROWSER_STATIC_ROOT"]
MEDIA_ROOT = os.environ["OKRYU_BROWSER_MEDIA_ROOT"]
STORAGES = {**STORAGES, "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"}}

# The server outlives each test while the database is emptied and seeded
# again between tests: a cache kept in its workers would serve the last
# test's pages (with its ids and prices) to the next.
CACHES = {"default": {"BACKEND": "django.core.cache.backends.dummy.DummyCache"}}
CATALOG_PROCESS_CACHE_SIZE = 0  # even when CACHE_URL names a shared cache
