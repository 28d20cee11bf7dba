"""Lesson videos on object storage: after the permission check, a redirect to a presigned URL; the store serves Range.

A real S3 API over HTTP: moto's server (`moto[server]`, pinned in
requirements/test.txt) runs as a separate process on a free port, and
django-storages' S3Storage (production's backend, settings/production.py)
talks to it with boto3. The test follows the redirect with an ordinary HTTP
client and a Range header, as a <video> element does.
"""

import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
from django.core.files.base import ContentFile
from wagtail.documents import get_document_model

from shixun.courses.enrolment import enrol_self
from tests.factories import make_teacher

from .conftest import make_course, make_module

storages_s3 = pytest.importorskip("storages.backends.s3")

BUCKET = "shixun-media"
VIDEO = b"\x1a\x45\xdf\xa3\x9f\x42\x82\x84webm" + bytes(range(256)) * 40
MOTO_SERVER = shutil.which("moto_server") or str(Path(sys.executable).with_name("moto_server"))


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture(scope="module")
def s3_endpoint():
    if not Path(MOTO_SERVER).exists():
        pytest.skip("moto_server is missing: pip install -r requirements/lock/test.txt")
    port = _free_port()
    server = subprocess.Popen([MOTO_SERVER, "-H", "127.0.0.1", "-p", str(port)],
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    endpoint = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                urllib.request.urlopen(endpoint + "/moto-api/", timeout=1)  # noqa: S310 - our own local server
                break
            except OSError:
                assert time.monotonic() < deadline, "moto_server did not start"
                time.sleep(0.2)
        yield endpoint
    finally:
        server.terminate()
        server.wait(timeout=10)


@pytest.fixture
def object_storage(s3_endpoint, settings):
    import boto3

    credentials = {"aws_access_key_id": "testing", "aws_secret_access_key": "testing", "region_name": "us-east-1"}
    s3 = boto3.client("s3", endpoint_url=s3_endpoint, **credentials)
    if BUCKET not in [bucket["Name"] for bucket in s3.list_buckets()["Buckets"]]:
        s3.create_bucket(Bucket=BUCKET)
    options = {
        "bucket_name": BUCKET, "location": "media", "default_acl": None, "querystring_auth": True,
        "endpoint_url": s3_endpoint, "access_key": "testing", "secret_key": "testing", "region_name": "us-east-1",
        "addressing_style": "path",
    }
    # Through pytest-django's `settings`, not an override_settings block: a test that changes another setting
    # with `settings` stacks its override on this one, and only one stack restores them in reverse order (an
    # override_settings block ended here, before `settings` restores, would leave the S3 storage to every
    # later test of the process).
    settings.STORAGES = {**settings.STORAGES,
                         "default": {"BACKEND": "storages.backends.s3.S3Storage", "OPTIONS": options}}
    return s3


@pytest.fixture
def remote_video(object_storage, catalogue, org):
    video = get_document_model().objects.create(title="讲座", file=ContentFile(VIDEO, name="talk.webm"))
    stored = object_storage.get_object(Bucket=BUCKET, Key=f"media/{video.file.name}")["Body"].read()
    assert stored == VIDEO  # really on the object store, not on a disk
    course = make_course(catalogue, "视频课程")
    make_module(course, "第一讲", body=[("video", {"title": "讲座", "file": video, "embed": None})])
    learner = make_teacher(org.school)
    enrol_self(learner, course)
    return video, learner


def fetch(url, **headers):
    request = urllib.request.Request(url, headers=headers)  # noqa: S310 - the local test store
    with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310
        return response.status, response.headers, response.read()  # headers: case-insensitive


@pytest.mark.django_db
def test_a_permitted_video_on_object_storage_is_a_presigned_redirect_that_answers_ranges(
        client, remote_video, s3_endpoint, settings):
    video, learner = remote_video
    settings.SHIXUN_MEDIA_SIGNED_URL_SECONDS = 120
    client.force_login(learner)
    response = client.get(video.url, HTTP_RANGE="bytes=100-199")
    assert response.status_code == 302 and response["Cache-Control"] == "private, no-store"
    location = response["Location"]
    assert location.startswith(f"{s3_endpoint}/{BUCKET}/media/") and "Signature=" in location
    query = parse_qs(urlsplit(location).query)
    expires = int(query["Expires"][0]) if "Expires" in query else time.time() + int(query["X-Amz-Expires"][0])
    assert abs(expires - (time.time() + 120)) < 30  # short-lived, as configured

    status, headers, body = fetch(location, Range="bytes=100-199")
    assert status == 206 and body == VIDEO[100:200]
    assert headers["Content-Range"] == f"bytes 100-199/{len(VIDEO)}"
    assert headers["Content-Type"] == "video/webm"
    # The disposition is signed into the URL; S3 (and OSS, COS, MinIO) apply response-content-*, moto does not.
    assert query["response-content-disposition"] == ["inline"] and query["response-content-type"] == ["video/webm"]
    status, _headers, body = fetch(location)
    assert status == 200 and body == VIDEO

    # Without the signature the store refuses: the object is not public.
    with pytest.raises(urllib.error.HTTPError):
        fetch(location.split("?", 1)[0], Range="bytes=0-9")


@pytest.mark.django_db
def test_a_foreign_user_gets_no_url(client, remote_video, org):
    video, _learner = remote_video
    response = client.get(video.url)
    assert response.status_code == 302 and "/login/" in response["Location"]
    client.force_login(make_teacher(org.school))  # not enrolled: refused like a local file, no URL to the store
    refused = client.get(video.url, HTTP_RANGE="bytes=0-9")
    assert refused.status_code == 403 and not refused.has_header("Location")
    assert "Signature" not in refused.content.decode(errors="replace")


@pytest.mark.django_db
def test_the_page_allows_the_store_to_play_video(client, remote_video, s3_endpoint, settings):
    settings.SHIXUN_CSP_MEDIA_SRC = [s3_endpoint]
    _video, learner = remote_video
    client.force_login(learner)
    from wagtail.models import Page

    module = Page.objects.get(title="第一讲")
    policy = client.get(module.url)["Content-Security-Policy"]
    assert f"media-src 'self' blob: {s3_endpoint}" in policy
