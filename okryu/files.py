"""Serving a file from disk the way players need it: ``Accept-Ranges``,
single byte ranges (206, or 416 when none of the file is asked for), an
ETag for revalidation and ``If-Range``. Phones seek a video by asking for
a range, and Safari plays no MP4 from a server that answers ranges with the
whole file. Several ranges in one request (multipart/byteranges, which no
player asks for) are answered with the whole file, as RFC 9110 allows."""

import mimetypes
import posixpath
import re
from pathlib import Path

from django.http import FileResponse, Http404, HttpRequest, HttpResponse, HttpResponseNotModified, StreamingHttpResponse
from django.utils._os import safe_join
from django.utils.http import http_date

BYTE_RANGE = re.compile(r"^bytes=(\d*)-(\d*)$")
CHUNK = 64 * 1024


def serve(request: HttpRequest, path: str, *, document_root: Path) -> HttpResponse:
    """The file at ``path`` under ``document_root``, whole or the range asked
    for; 404 for anything that is not a file there."""
    try:
        full_path = Path(safe_join(document_root, posixpath.normpath(path).lstrip("/")))
    except ValueError:  # SuspiciousFileOperation: the path leaves the root
        raise Http404 from None
    if not full_path.is_file():
        raise Http404
    stat = full_path.stat()
    size = stat.st_size
    etag = f'"{stat.st_mtime_ns:x}-{size:x}"'
    headers = {"ETag": etag, "Last-Modified": http_date(stat.st_mtime), "Accept-Ranges": "bytes"}
    if etag in _etags(request.headers.get("If-None-Match", "")):
        return HttpResponseNotModified(headers=headers)
    content_type = mimetypes.guess_type(full_path.name)[0] or "application/octet-stream"
    asked = request.headers.get("Range", "")
    if asked and request.headers.get("If-Range", etag) == etag:
        byte_range = parse_range(asked, size)
        if byte_range == "unsatisfiable":
            return HttpResponse(status=416, headers={**headers, "Content-Range": f"bytes */{size}"})
        if byte_range:
            start, end = byte_range
            response = StreamingHttpResponse(
                _read(full_path, start, end), status=206, content_type=content_type,
                headers={**headers, "Content-Range": f"bytes {start}-{end}/{size}",
                         "Content-Length": str(end - start + 1)},
            )
            return response
    response = FileResponse(full_path.open("rb"), content_type=content_type, headers=headers)
    return response


def parse_range(header: str, size: int) -> tuple[int, int] | str | None:
    """``(first, last)`` byte of one range in a ``Range`` header, clipped to
    the file; ``"unsatisfiable"`` when it asks for nothing the file has; None
    to serve the whole file (not one byte range, or not one we understand)."""
    match = BYTE_RANGE.match(header.strip())
    if not match or match.group(1) == match.group(2) == "":
        return None
    first, last = match.groups()
    if first == "":  # a suffix: the last N bytes
        length = int(last)
        if length == 0 or size == 0:
            return "unsatisfiable"
        return max(0, size - length), size - 1
    start = int(first)
    end = min(int(last), size - 1) if last else size - 1
    if last and int(last) < start:
        return None  # not a valid range: ignored, the whole file is sent
    if start >= size:
        return "unsatisfiable"
    return start, end


def _etags(header: str) -> set[str]:
    return {tag.strip().removeprefix("W/") for tag in header.split(",") if tag.strip()}


def _read(path: Path, start: int, end: int):
    with path.open("rb") as file:
        file.seek(start)
        left = end - start + 1
        while left > 0:
            chunk = file.read(min(CHUNK, left))
            if not chunk:
                return
            left -= len(chunk)
            yield chunk
