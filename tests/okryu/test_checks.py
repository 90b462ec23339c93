"""The start-up check that several app hosts share one cache."""

import io

from django.core.management import call_command

LOCAL = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
REDIS = {"default": {"BACKEND": "django_redis.cache.RedisCache", "LOCATION": "redis://127.0.0.1:6379/9"}}


def _check_output(settings, *, hosts, caches) -> str:
    settings.APP_HOSTS, settings.CACHES = hosts, caches
    out = io.StringIO()
    call_command("check", stdout=out, stderr=out)
    return out.getvalue()


def test_it_warns_when_two_hosts_would_each_keep_their_own_cache(settings):
    output = _check_output(settings, hosts=["10.0.0.11:8000", "10.0.0.12:8000"], caches=LOCAL)

    assert "okryu.W001" in output
    assert "CACHE_URL" in output


def test_it_is_quiet_with_a_shared_cache(settings):
    assert "okryu.W001" not in _check_output(settings, hosts=["10.0.0.11:8000", "10.0.0.12:8000"], caches=REDIS)


def test_it_is_quiet_on_one_host(settings):
    assert "okryu.W001" not in _check_output(settings, hosts=["10.0.0.11:8000"], caches=LOCAL)
    assert "okryu.W001" not in _check_output(settings, hosts=[], caches=LOCAL)
