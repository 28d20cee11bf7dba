"""H5P media (a video in a package's content folder) answer HTTP Range requests on the content origin."""

import pytest
from django.test import override_settings

from shixun.assessments.h5p import storage

from .test_content_origin import body, content_get, token_for

pytestmark = pytest.mark.django_db

CLIP = b"\x1a\x45\xdf\xa3" + bytes(range(256)) * 8


@pytest.fixture
def clip(world):
    folder = storage.absolute(world.content.storage_dir) / "content" / "videos"
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "clip.webm").write_bytes(CLIP)
    return f"/h5p/play/{token_for(world)}/content/videos/clip.webm"


def test_h5p_video_is_served_in_parts(client, clip):
    whole = content_get(client, clip)
    assert whole.status_code == 200 and body(whole) == CLIP and whole["Accept-Ranges"] == "bytes"
    assert whole["Content-Type"] == "video/webm" and "default-src 'none'" in whole["Content-Security-Policy"]

    part = client.get(clip, HTTP_RANGE="bytes=4-19", **_host())
    assert part.status_code == 206 and part["Content-Range"] == f"bytes 4-19/{len(CLIP)}"
    assert body(part) == CLIP[4:20] and part["Cache-Control"] == "private, max-age=3600"

    suffix = client.get(clip, HTTP_RANGE="bytes=-8", **_host())
    assert suffix.status_code == 206 and body(suffix) == CLIP[-8:]

    refused = client.get(clip, HTTP_RANGE=f"bytes={len(CLIP)}-", **_host())
    assert refused.status_code == 416 and refused["Content-Range"] == f"bytes */{len(CLIP)}"


def test_a_forged_link_gets_no_part(client, clip):
    forged = clip.replace("/h5p/play/", "/h5p/play/x")
    assert client.get(forged, HTTP_RANGE="bytes=0-9", **_host()).status_code in (403, 404)


@override_settings(SHIXUN_MEDIA_X_ACCEL_PREFIX="/_protected/")
def test_production_hands_h5p_media_to_nginx(client, clip, settings, h5p_root):
    settings.PRIVATE_MEDIA_ROOT = h5p_root.parent  # the H5P store lies in private storage, as by default
    response = client.get(clip, HTTP_RANGE="bytes=0-9", **_host())
    assert response.status_code == 200 and body(response) == b""
    assert response["X-Accel-Redirect"].startswith("/_protected/private/h5p-store/")
    assert response["X-Accel-Redirect"].endswith("/content/videos/clip.webm")


def _host():
    from .conftest import CONTENT_HOST

    return {"HTTP_HOST": CONTENT_HOST}
