import gettext
from pathlib import Path

import pytest
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from django.conf import settings
from django.core.signals import setting_changed
from django.test import signals as test_signals  # noqa: F401  (its receivers reset translation caches)
from django.utils import translation

from tests import factories


def pytest_configure(config):
    """Compile the message catalogues as `make test` does: the .mo files are
    build output kept out of git, and without them a bare `pytest` run would
    serve English msgids on the Korean pages. django.setup() has already
    loaded the catalogues by now, so announce LOCALE_PATHS as changed, which
    makes Django drop its cached translations and read the fresh files, and
    empty the gettext module's own cache of parsed files, from which Django
    would otherwise get the stale ones back (Korean pages with English
    strings added since the last compile)."""
    for po in Path(settings.BASE_DIR).glob("locale/*/LC_MESSAGES/django.po"):
        with po.open("rb") as f:
            catalog = read_po(f)
        with po.with_suffix(".mo").open("wb") as f:
            write_mo(f, catalog)
    gettext._translations.clear()
    setting_changed.send(sender=None, setting="LOCALE_PATHS", value=settings.LOCALE_PATHS, enter=False)


@pytest.fixture
def world(db):
    """A small shop: two sellers competing on one product, a district with a
    transport service and an open slot, a customer with a funded card."""

    class World:
        pass

    w = World()
    w.district = factories.district()
    w.service = factories.service(districts=[w.district], fee=1000)
    w.slot = factories.slot(service_=w.service)
    w.store = factories.seller(name_ko="광복상점", name_en="Kwangbok Store")
    w.factory = factories.seller(kind="factory", name_ko="봄향기공장", name_en="Pomhyanggi Factory")
    w.category = factories.category(name_ko="비누", name_en="Soap", slug="soap")
    w.soap = factories.product(
        category_=w.category, name_ko="인삼비누", name_en="Ginseng soap", slug="ginseng-soap",
        offers=[(w.store, 1500, 10), (w.factory, 1400, 5)],
    )
    w.customer = factories.user("customer")
    w.card = factories.card(owner=w.customer, balance=500_000)
    w.address = factories.address(owner=w.customer, district_=w.district)
    w.courier = factories.courier(service_=w.service, username="courier")
    return w


@pytest.fixture
def customer_client(client, world):
    client.force_login(world.customer)
    return client


@pytest.fixture
def media_root(settings, tmp_path):
    """Uploaded files go to a fresh folder that pytest removes later."""
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


@pytest.fixture
def staff_client(client, db):
    client.force_login(factories.user("staffer", is_staff=True, is_superuser=True))
    return client


@pytest.fixture
def finance_clerk(db):
    return factories.finance_clerk("clerk")


@pytest.fixture
def finance_client(client, finance_clerk):
    client.force_login(finance_clerk)
    return client


@pytest.fixture(autouse=True)
def _default_language():
    """Each test starts in the default language: a request's LocaleMiddleware
    leaves its language active in the thread, and an earlier test's English
    page would make this test's service calls write English snapshots."""
    translation.activate(settings.LANGUAGE_CODE)
    yield
    translation.deactivate()


@pytest.fixture(autouse=True)
def _empty_cache():
    """Each test starts with an empty cache: the catalogue pages cache what
    they show, and an earlier test's rows were rolled back under it."""
    from django.core.cache import cache

    cache.clear()
