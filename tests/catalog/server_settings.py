"""The settings of the servers in test_cache_across_processes.py: the
browser tests' server settings, but with the cache `make run` has when
CACHE_URL is unset (each process's own memory) instead of no cache."""

import okryu.settings
from tests.browser.server_settings import *  # noqa: F403

# okryu.settings keeps the default that the browser settings replaced.
CACHES = okryu.settings.CACHES
