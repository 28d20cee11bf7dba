"""Serving a permitted file: HTTP Range from Python, or a hand-off to nginx (X-Accel-Redirect).

Lesson videos (Wagtail documents) and H5P media are served only after a
permission check in Python. Two ways to send the bytes after that check:

- SHIXUN_MEDIA_X_ACCEL_PREFIX set (production behind nginx): an empty
  response with `X-Accel-Redirect: <prefix>media/<path>` (or
  `<prefix>private/<path>`) for files under MEDIA_ROOT or PRIVATE_MEDIA_ROOT;
  nginx sends the file from an `internal` location, Range requests and all,
  and no Python worker is tied up by a 500 MB video (README, "Serving media").
- Otherwise Python streams the file itself and answers Range requests:
  `206 Partial Content` with Content-Range for one satisfiable range, `416`
  with `Content-Range: bytes */<size>` for one that is not, the whole file
  (200) for a Range it does not serve (several ranges, another unit, an
  If-Range that no longer matches). iPhone Safari plays no video without
  206 answers.

Several ranges in one request (`Range: bytes=0-1,5-9`) get the whole file
(200), on purpose, not a `206 multipart/byteranges`: RFC 9110 §14.2 lets a
server ignore a Range header, and a 200 is always a correct answer. No
media player sends several ranges (browsers, AVPlayer and ExoPlayer ask for
one at a time), so multipart answers would serve only download tools and
scanners, and they are the classic way to make a server work hard for a small
request (many small or overlapping ranges of a large file, Apache's
CVE-2011-3192): code written for no client, with a denial-of-service edge.
nginx (X-Accel-Redirect) and object stores (presigned redirect, below) apply
their own rules to the same header. tests/courses/test_media_ranges.py
checks the 200 answer.

Media on object storage (production's django-storages S3 buckets) have no
local path: after the same permission check, `remote_file_redirect` answers
302 to a presigned URL of the object (SHIXUN_MEDIA_SIGNED_URL_SECONDS), with
the response's Content-Type and Content-Disposition signed into it; the
object store answers Range itself (206), and no Python worker streams the
file. The redirect is `Cache-Control: private, no-store`: a shared cache
must not hand one learner's signed URL to another. The page's
Content-Security-Policy must allow the store's origin in media-src
(SHIXUN_CSP_MEDIA_SRC), as a <video> follows the redirect.

Wagtail's document view reaches this module as its SENDFILE_BACKEND
(wagtail.utils.sendfile), the H5P content views call `file_response`.
Django itself has no Range support (ticket #22479), and the maintained
sendfile library (django-sendfile2) serves no Range from Python either, so
the few lines of range arithmetic are here, with their tests
(tests/courses/test_media_ranges.py).
"""

from __future__ import annotations

import mimetypes
import re
from pathlib import Path
from urllib.parse import quote

from django.conf import settings
from django.http import (
    FileResponse,
    HttpResponse,
    HttpResponseNotModified,
    HttpResponseRedirect,
    StreamingHttpResponse,
)
from django.utils.http import http_date
from django.views.static import was_modified_since

from .conf import shixun_settings

CHUNK = 64 * 1024
_RANGE = re.compile(r"^bytes=(\d*)-(\d*)$")
UNSATISFIABLE = "unsatisfiable"


def requested_range(header: str | None, size: int):
    """(first, last) byte positions to send, UNSATISFIABLE, or None for the whole file (RFC 9110 §14)."""
    if not header:
        return None
    match = _RANGE.match(header.replace(" ", ""))
    if match is None:
        return None  # another unit, several ranges, or not a range at all: the whole file is a valid answer
    first, last = match.groups()
    if not first:
        if not last:
            return None
        suffix = int(last)  # "bytes=-500": the last 500 bytes
        if suffix == 0 or size == 0:
            return UNSATISFIABLE
        return max(0, size - suffix), size - 1
    first = int(first)
    if last and int(last) < first:
        return None  # invalid syntax: ignored
    if first >= size:
        return UNSATISFIABLE
    return first, min(int(last), size - 1) if last else size - 1


class _LengthKept:
    """Keeps the Content-Length this module set.

    Wagtail's sendfile() sets Content-Length to the whole file's size after
    the backend has answered: right for a 200, wrong for a 206, a 416 or an
    X-Accel-Redirect hand-off, whose body is not the whole file.
    """

    def __setitem__(self, header, value):
        if header.lower() == "content-length" and self.has_header("Content-Length"):
            return
        super().__setitem__(header, value)


class WholeFileResponse(_LengthKept, FileResponse):
    pass


class PartialFileResponse(_LengthKept, StreamingHttpResponse):
    pass


class HandOffResponse(_LengthKept, HttpResponse):
    pass


def _read(handle, first: int, last: int):
    try:
        handle.seek(first)
        left = last - first + 1
        while left > 0:
            chunk = handle.read(min(CHUNK, left))
            if not chunk:
                break
            left -= len(chunk)
            yield chunk
    finally:
        handle.close()


def accel_location(path: Path) -> str | None:
    """The nginx internal URI of a file under the media roots when the hand-off is configured, else None."""
    prefix = shixun_settings.SHIXUN_MEDIA_X_ACCEL_PREFIX
    if not prefix:
        return None
    path = Path(path).resolve()
    roots = (("media", getattr(settings, "MEDIA_ROOT", None)),
             ("private", getattr(settings, "PRIVATE_MEDIA_ROOT", None)))
    for name, root in roots:
        if root and path.is_relative_to(Path(root).resolve()):
            relative = path.relative_to(Path(root).resolve()).as_posix()
            return f"{prefix.rstrip('/')}/{name}/{quote(relative)}"
    return None


def is_local(field_file) -> bool:
    try:
        field_file.storage.path(field_file.name)
    except NotImplementedError:
        return False
    return True


def remote_file_redirect(field_file, *, content_type: str, disposition: str) -> HttpResponse | None:
    """A redirect to a short-lived presigned URL of a file on object storage; None for a file on a local disk.

    Only for a request the caller has already allowed to read the file. A storage that cannot sign URLs
    (no `expire` parameter) gets None too, and the file is streamed as before.
    """
    if is_local(field_file):
        return None
    parameters = {"ResponseContentType": content_type, "ResponseContentDisposition": disposition}
    try:
        url = field_file.storage.url(
            field_file.name, parameters=parameters, expire=shixun_settings.SHIXUN_MEDIA_SIGNED_URL_SECONDS
        )
    except TypeError:
        return None
    response = HttpResponseRedirect(url)
    response["Cache-Control"] = "private, no-store"
    return response


def file_response(request, path: Path, *, content_type: str | None = None) -> HttpResponse:
    """The file at `path`, which the caller has already allowed this request to read."""
    path = Path(path)
    content_type = content_type or mimetypes.guess_type(path.name)[0] or "application/octet-stream"
    location = accel_location(path)
    if location is not None:
        response = HandOffResponse(b"", content_type=content_type)
        response["Content-Length"] = "0"
        response["X-Accel-Redirect"] = location
        return response

    stat = path.stat()
    last_modified = http_date(stat.st_mtime)
    if not was_modified_since(request.headers.get("if-modified-since"), stat.st_mtime):
        return HttpResponseNotModified()
    wanted = requested_range(request.headers.get("range"), stat.st_size)
    if_range = request.headers.get("if-range")
    if wanted is not None and if_range and if_range != last_modified:
        wanted = None  # the client's copy is another version: send it whole
    if wanted == UNSATISFIABLE:
        response = HandOffResponse(b"", status=416, content_type=content_type)
        response["Content-Range"] = f"bytes */{stat.st_size}"
        response["Content-Length"] = "0"
    elif wanted is None:
        response = WholeFileResponse(path.open("rb"), content_type=content_type)
    else:
        first, last = wanted
        response = PartialFileResponse(_read(path.open("rb"), first, last), status=206, content_type=content_type)
        response["Content-Range"] = f"bytes {first}-{last}/{stat.st_size}"
        response["Content-Length"] = str(last - first + 1)
    response["Accept-Ranges"] = "bytes"
    response["Last-Modified"] = last_modified
    return response


def sendfile(request, filename, mimetype=None, **kwargs):
    """The SENDFILE_BACKEND interface of wagtail.utils.sendfile (and django-sendfile): Wagtail's document view."""
    return file_response(request, Path(filename), content_type=mimetype)
