"""Views of the content origin: the player page, player files, package files.

Reached only through ContentOriginMiddleware, so no session, user or CSRF
machinery runs here: a signed link (links.py) is the only credential. Every
response carries its own Content-Security-Policy.
"""

from __future__ import annotations

import functools
import hashlib
import mimetypes
from pathlib import Path

from django.http import Http404, HttpResponse
from django.template.loader import render_to_string
from django.utils.translation import gettext

from shixun.config.media_files import file_response
from shixun.courses.models import Enrolment, ModulePage

from . import storage
from .links import LinkExpired, LinkInvalid, PlayGrant, activity_iri, read_token
from .models import H5PContent

PLAYER_ASSETS = Path(__file__).resolve().parent / "player"

# Package files are loaded by the player as scripts, styles, images and JSON;
# opened directly they must not run anything.
FILE_CSP = "default-src 'none'; img-src 'self' data:; style-src 'unsafe-inline'; font-src 'self' data:; sandbox"

# H5P core and content types written for it build markup with jQuery, use
# inline styles and event handlers and, in older libraries, eval. This
# origin holds no session and no site data, which is what keeps that safe.
PLAYER_CSP = (
    "default-src 'self'; script-src 'self' 'unsafe-inline' 'unsafe-eval'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data: blob:; media-src 'self' blob:; font-src 'self' data:; connect-src 'self'; "
    "frame-src 'self'; worker-src 'self' blob:; object-src 'none'; base-uri 'self'; form-action 'none'; "
    "frame-ancestors {ancestors}"
)

mimetypes.add_type("application/json", ".json")
mimetypes.add_type("image/svg+xml", ".svg")
mimetypes.add_type("font/woff2", ".woff2")
mimetypes.add_type("font/woff", ".woff")
mimetypes.add_type("text/vtt", ".vtt")


def _player_dist() -> Path:
    # h5p-standalone from the npm registry, copied here by `make install` (and
    # into the wheel by `make dist`): one location for the site and the package.
    return Path(__file__).resolve().parent / "vendor" / "h5p-standalone"


def _refusal(status: int, message: str) -> HttpResponse:
    response = HttpResponse(message, status=status, content_type="text/plain; charset=utf-8")
    response["Content-Security-Policy"] = FILE_CSP
    response["Cache-Control"] = "no-store"
    return response


def _file(request, path: Path | None, *, cache: str) -> HttpResponse:
    """A file after the caller's checks: with HTTP Range (H5P video and audio seek), or handed to nginx."""
    if path is None:
        raise Http404
    content_type = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
    if content_type.startswith("text/") or content_type in ("application/javascript", "application/json"):
        content_type += "; charset=utf-8"
    response = file_response(request, path, content_type=content_type)
    response["Content-Security-Policy"] = FILE_CSP
    response["Cache-Control"] = cache
    response["Cross-Origin-Resource-Policy"] = "same-origin"
    return response


def player_asset(request, path: str):
    """h5p-standalone's files (vendor/, from npm), and Shixun's own player script (shixun/…)."""
    if path.startswith("shixun/"):
        found = storage.resolve_file(PLAYER_ASSETS, path.removeprefix("shixun/"))
    else:
        found = storage.resolve_file(_player_dist(), path)
    return _file(request, found, cache="public, max-age=86400")


@functools.cache
def player_version() -> str:
    """A short hash of Shixun's own player files, in their URLs: they are cached for a day, so a new release's
    URL must differ, or a browser would pair yesterday's player.js with today's host.js on the module page."""
    digest = hashlib.sha256()
    for name in sorted(p.name for p in PLAYER_ASSETS.iterdir() if p.is_file()):
        digest.update(name.encode() + b"\0" + (PLAYER_ASSETS / name).read_bytes())
    return digest.hexdigest()[:12]


def _grant_and_content(token: str) -> tuple[PlayGrant, H5PContent] | HttpResponse:
    try:
        grant = read_token(token)
    except LinkExpired:
        return _refusal(403, gettext("This link has expired. Reload the module page to continue."))
    except LinkInvalid:
        return _refusal(403, gettext("This link is not valid."))
    content = H5PContent.objects.filter(pk=grant.content_id, activity_id=grant.activity_id).first()
    if content is None:
        raise Http404
    return grant, content


def player_page(request, token: str):
    found = _grant_and_content(token)
    if isinstance(found, HttpResponse):
        return found
    grant, content = found
    module = ModulePage.objects.filter(pk=grant.module_id).first()
    enrolled = module is not None and Enrolment.objects.filter(
        user_id=grant.user_id,
        user__is_active=True,
        course_id=module.get_parent().pk,
        status=Enrolment.Status.ACTIVE,
    ).exists()
    if not enrolled:
        return _refusal(403, gettext("You are not enrolled in this course."))
    base = f"/h5p/play/{token}"
    html = render_to_string(
        "h5p/player.html",
        {
            "title": content.title,
            "h5p_json_path": base,
            "libraries_path": f"{base}/libraries",
            "player_base": "/h5p/player/",
            "player_version": player_version(),
            "site_origin": grant.site_origin,
            "object_iri": activity_iri(grant.activity_id),
        },
    )
    response = HttpResponse(html)
    response["Content-Security-Policy"] = PLAYER_CSP.format(ancestors=grant.site_origin)
    response["Cache-Control"] = "no-store"
    return response


def h5p_json(request, token: str):
    found = _grant_and_content(token)
    if isinstance(found, HttpResponse):
        return found
    _, content = found
    found = storage.resolve_file(storage.absolute(content.storage_dir), "h5p.json")
    return _file(request, found, cache="private, max-age=3600")


def content_file(request, token: str, path: str):
    found = _grant_and_content(token)
    if isinstance(found, HttpResponse):
        return found
    _, content = found
    folder = storage.absolute(content.storage_dir) / "content"
    return _file(request, storage.resolve_file(folder, path), cache="private, max-age=3600")


def library_file(request, token: str, folder: str, path: str):
    found = _grant_and_content(token)
    if isinstance(found, HttpResponse):
        return found
    _, content = found
    machine_name, _, version = folder.rpartition("-")
    major, _, minor = version.partition(".")
    if not (machine_name and major.isdigit() and minor.isdigit()):
        raise Http404
    # Only the libraries this content uses: a link to one package does not open the whole library store.
    library = content.libraries.filter(
        machine_name=machine_name, major_version=int(major), minor_version=int(minor)
    ).first()
    if library is None:
        raise Http404
    found = storage.resolve_file(storage.absolute(library.storage_dir), path)
    return _file(request, found, cache="private, max-age=3600")
