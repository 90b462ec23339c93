import pytest

from tests.live_server import BASE_DIR, gunicorn


@pytest.fixture(scope="package")
def server(django_db_setup, tmp_path_factory):
    """gunicorn serving the test database on loopback, as the browser tests run it."""
    with gunicorn(
        media_root=tmp_path_factory.mktemp("media"), static_root=tmp_path_factory.mktemp("static"),
        log=BASE_DIR / "var" / "reliability-gunicorn.log", workers=3,
    ) as running:
        yield running
