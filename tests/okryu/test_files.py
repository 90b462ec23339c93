"""Media files in byte ranges (okryu.files), through the test client and
through a real gunicorn: 206 with the right Content-Range and bytes, 416
for ranges past the end, ETag revalidation, and never compressed."""

import http.client
import urllib.parse

import pytest
from django.conf import settings

from tests.live_server import gunicorn

BODY = bytes(range(256)) * 40  # 10,240 bytes, each position recognisable
SIZE = len(BODY)
NAME = "0123456789abcdef0123456789abcdef-360.mp4"


@pytest.fixture
def clip(media_root):
    path = settings.MEDIA_ROOT / "products" / "recordings" / NAME
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(BODY)
    return f"/media/products/recordings/{NAME}"


# (Range header, Content-Range, the bytes expected)
PROBES = [
    ("bytes=0-1", "bytes 0-1/10240", BODY[0:2]),
    ("bytes=0-0", "bytes 0-0/10240", BODY[0:1]),
    ("bytes=-500", "bytes 9740-10239/10240", BODY[-500:]),
    ("bytes=100-", "bytes 100-10239/10240", BODY[100:]),
    ("bytes=10000-20000", "bytes 10000-10239/10240", BODY[10000:]),
    ("bytes=-20000", "bytes 0-10239/10240", BODY),
]


def test_a_whole_file_offers_ranges_with_an_etag_and_a_year_of_cache(client, clip):
    response = client.get(clip, HTTP_ACCEPT_ENCODING="gzip")
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == BODY
    assert response["Accept-Ranges"] == "bytes" and response["Content-Length"] == str(SIZE)
    assert response["Content-Type"] == "video/mp4" and "Content-Encoding" not in response
    assert response["Cache-Control"] == "public, max-age=31536000, immutable"
    assert response["ETag"].startswith('"') and response["Last-Modified"]


@pytest.mark.parametrize("asked, content_range, expected", PROBES)
def test_a_single_range_answers_206_with_those_bytes(client, clip, asked, content_range, expected):
    response = client.get(clip, HTTP_RANGE=asked, HTTP_ACCEPT_ENCODING="gzip")
    assert response.status_code == 206
    assert response["Content-Range"] == content_range
    assert response["Content-Length"] == str(len(expected))
    assert b"".join(response.streaming_content) == expected
    assert "Content-Encoding" not in response, "compressing would change what the byte positions mean"
    assert response["Content-Type"] == "video/mp4" and response["ETag"]


@pytest.mark.parametrize("asked", ["bytes=10240-", "bytes=20000-20001", "bytes=-0"])
def test_a_range_past_the_end_answers_416(client, clip, asked):
    response = client.get(clip, HTTP_RANGE=asked)
    assert response.status_code == 416
    assert response["Content-Range"] == "bytes */10240"


@pytest.mark.parametrize("asked", ["bytes=0-1,5-6", "bytes=5-2", "items=0-1", "bytes=x-y", "bytes=-"])
def test_what_is_not_one_byte_range_gets_the_whole_file(client, clip, asked):
    response = client.get(clip, HTTP_RANGE=asked)
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == BODY


def test_an_unchanged_file_answers_304_and_a_changed_one_ignores_the_range(client, clip):
    etag = client.get(clip)["ETag"]
    assert client.get(clip, HTTP_IF_NONE_MATCH=etag).status_code == 304
    assert client.get(clip, HTTP_RANGE="bytes=0-1", HTTP_IF_RANGE=etag).status_code == 206
    stale = client.get(clip, HTTP_RANGE="bytes=0-1", HTTP_IF_RANGE='"an-older-version"')
    assert stale.status_code == 200 and b"".join(stale.streaming_content) == BODY


def test_a_missing_file_or_a_folder_is_404(client, clip):
    assert client.get("/media/products/recordings/missing.mp4").status_code == 404
    assert client.get("/media/products/recordings/", HTTP_RANGE="bytes=0-1").status_code == 404


def test_pages_are_still_compressed(client, db):
    response = client.get("/", HTTP_ACCEPT_ENCODING="gzip")
    assert response["Content-Encoding"] == "gzip"


def test_ranges_through_gunicorn(media_root, tmp_path, transactional_db):
    path = media_root / "products" / "recordings" / NAME
    path.parent.mkdir(parents=True)
    path.write_bytes(BODY)
    with gunicorn(media_root=media_root, static_root=tmp_path / "static", log=tmp_path / "gunicorn.log",
                  workers=1) as server:
        address = urllib.parse.urlsplit(server.url)
        connection = http.client.HTTPConnection(address.hostname, address.port, timeout=10)
        target = f"/media/products/recordings/{NAME}"
        for asked, content_range, expected in PROBES:
            connection.request("GET", target, headers={"Range": asked, "Accept-Encoding": "gzip"})
            response = connection.getresponse()
            body = response.read()
            assert (response.status, response.getheader("Content-Range"), body) == (206, content_range, expected)
            assert response.getheader("Content-Encoding") is None
        connection.request("GET", target, headers={"Range": "bytes=10240-"})
        response = connection.getresponse()
        response.read()
        assert (response.status, response.getheader("Content-Range")) == (416, "bytes */10240")
        connection.request("HEAD", target)
        response = connection.getresponse()
        response.read()
        assert (response.status, response.getheader("Accept-Ranges")) == (200, "bytes")
        assert response.getheader("Content-Length") == str(SIZE)
