"""Project-wide upload limits and how uploaded media is served."""

import pytest
from django.conf import settings
from PIL import Image

from catalog.media import renditions, write_image
from tests.factories import PASSWORD


@pytest.fixture
def media_file():
    created = []

    def write(name: str, content: bytes) -> str:
        path = settings.MEDIA_ROOT / "security-tests" / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(content)
        created.append(path)
        return f"/media/security-tests/{name}"

    yield write
    for path in created:
        path.unlink(missing_ok=True)


def test_pillow_refuses_images_above_the_projects_pixel_limit():
    assert Image.MAX_IMAGE_PIXELS == settings.IMAGE_MAX_PIXELS == 24_000_000


def test_an_image_is_served_inline_without_sniffing_and_without_script(client, media_file):
    response = client.get(media_file("dot.png", b"\x89PNG\r\n\x1a\n"))
    assert response.status_code == 200
    assert response["Content-Type"] == "image/png"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Content-Security-Policy"] == "default-src 'none'; sandbox"
    assert response["Content-Disposition"].startswith("inline")
    assert response["Cache-Control"] == "public, max-age=86400", "an uploaded name can come back: a day"


def test_pictures_and_thumbnails_are_cached_for_a_year(client, media_root):
    name, thumbnails = write_image(image=Image.new("RGB", (400, 300), "red"), folder="products")
    paths = [name] + [rendition[kind] for rendition in renditions(thumbnails) for kind in ("webp", "jpeg")]
    assert len(paths) == 5
    for path in paths:
        response = client.get(f"/media/{path}")
        assert response.status_code == 200
        assert response["Cache-Control"] == "public, max-age=31536000, immutable"


@pytest.mark.parametrize("name", ["evil.svg", "evil.html", "evil"])
def test_anything_else_is_a_download(client, media_file, name):
    response = client.get(media_file(name, b"<script>alert(1)</script>"))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/octet-stream"
    assert response["Content-Disposition"] == "attachment"
    assert response["X-Content-Type-Options"] == "nosniff"


def test_a_path_outside_media_is_not_served(client, media_file):
    media_file("dot.png", b"x")
    for path in ("/media/../okryu/settings.py", "/media/%2e%2e/okryu/settings.py", "/media//etc/passwd"):
        response = client.get(path)
        assert response.status_code in {400, 404}
        assert b"SECRET_KEY" not in response.content and b"root:" not in response.content


@pytest.mark.django_db
def test_an_oversized_form_body_is_refused_with_400(client, world):
    body = {"username": "customer", "password": PASSWORD, "padding": "x" * (settings.DATA_UPLOAD_MAX_MEMORY_SIZE + 1)}
    response = client.post("/accounts/login/", body)
    assert response.status_code == 400
    assert "_auth_user_id" not in client.session
