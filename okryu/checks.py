"""Start-up checks (Django's system check framework): they run with every
management command, the job worker and ``migrate`` included, so each host
reports them when it starts."""

from django.conf import settings
from django.core.checks import Warning, register

LOCAL_MEMORY_CACHE = "django.core.cache.backends.locmem.LocMemCache"


@register
def cache_shared_by_the_hosts(app_configs, **kwargs):
    """Several app hosts (settings.APP_HOSTS) need one cache: with each
    process's own memory every worker of every host builds each catalogue
    page again, and whatever a request leaves in the cache for the next one
    is missing when the next one lands on another host."""
    if len(settings.APP_HOSTS) < 2:
        return []
    local = [alias for alias, cache in settings.CACHES.items() if cache["BACKEND"] == LOCAL_MEMORY_CACHE]
    return [
        Warning(
            f"{len(settings.APP_HOSTS)} app hosts are configured (APP_HOSTS) but the cache '{alias}' is "
            "each process's own memory.",
            hint="Set CACHE_URL to the Redis server the hosts share, e.g. redis://10.0.0.5:6379/0.",
            id="okryu.W001",
        )
        for alias in local
    ]
