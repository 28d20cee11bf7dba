"""Lesson video files answer HTTP Range requests (shixun.config.media_files), after the permission check."""

import pytest
from django.core.files.base import ContentFile
from django.test import override_settings
from wagtail.documents import get_document_model

from shixun.config.media_files import UNSATISFIABLE, requested_range
from shixun.courses.enrolment import enrol_self
from tests.factories import make_teacher

from .conftest import make_course, make_module

VIDEO = b"\x1a\x45\xdf\xa3\x9f\x42\x82\x84webm" + bytes(range(256)) * 40  # 10,252 bytes
SIZE = len(VIDEO)


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        (None, None),
        ("bytes=0-99", (0, 99)),
        ("bytes=100-", (100, SIZE - 1)),
        ("bytes=0-999999", (0, SIZE - 1)),  # past the end: up to the end
        ("bytes=-500", (SIZE - 500, SIZE - 1)),  # a suffix: the last 500 bytes
        ("bytes=-999999", (0, SIZE - 1)),
        (f"bytes={SIZE}-", UNSATISFIABLE),
        ("bytes=-0", UNSATISFIABLE),
        ("bytes=10-5", None),  # invalid: ignored, the whole file
        ("bytes=0-1,5-9", None),  # several ranges: served whole
        ("items=0-5", None),
        ("bytes=abc", None),
    ],
)
def test_range_arithmetic(header, expected):
    assert requested_range(header, SIZE) == expected


@pytest.fixture
def lesson_video(db, catalogue, org):
    video = get_document_model().objects.create(title="讲座", file=ContentFile(VIDEO, name="talk.webm"))
    course = make_course(catalogue, "视频课程")
    make_module(course, "第一讲", body=[("video", {"title": "讲座", "file": video, "embed": None})])
    learner = make_teacher(org.school)
    enrol_self(learner, course)
    return video, learner


def content(response) -> bytes:
    return b"".join(response.streaming_content) if response.streaming else response.content


def test_a_lesson_video_is_served_in_parts(client, lesson_video):
    video, learner = lesson_video
    client.force_login(learner)

    whole = client.get(video.url)
    assert whole.status_code == 200 and content(whole) == VIDEO
    assert whole["Accept-Ranges"] == "bytes" and whole["Content-Type"] == "video/webm"
    assert whole["Content-Disposition"].startswith("inline")

    part = client.get(video.url, HTTP_RANGE="bytes=100-199")
    assert part.status_code == 206
    assert part["Content-Range"] == f"bytes 100-199/{SIZE}"
    assert part["Content-Length"] == "100" and content(part) == VIDEO[100:200]
    assert part["Content-Type"] == "video/webm" and part["X-Content-Type-Options"] == "nosniff"

    tail = client.get(video.url, HTTP_RANGE="bytes=-16")
    assert tail.status_code == 206 and tail["Content-Range"] == f"bytes {SIZE - 16}-{SIZE - 1}/{SIZE}"
    assert content(tail) == VIDEO[-16:]

    opened = client.get(video.url, HTTP_RANGE="bytes=0-")  # what a <video> element asks first
    assert opened.status_code == 206 and content(opened) == VIDEO and opened["Content-Length"] == str(SIZE)

    refused = client.get(video.url, HTTP_RANGE=f"bytes={SIZE + 10}-")
    assert refused.status_code == 416 and refused["Content-Range"] == f"bytes */{SIZE}"
    assert content(refused) == b""

    # An If-Range for another version of the file: the whole (current) file.
    stale = client.get(video.url, HTTP_RANGE="bytes=0-9", HTTP_IF_RANGE="Thu, 01 Jan 1970 00:00:00 GMT")
    assert stale.status_code == 200 and content(stale) == VIDEO


def test_ranges_keep_the_permission_check(client, lesson_video, org):
    video, _learner = lesson_video
    response = client.get(video.url, HTTP_RANGE="bytes=0-99")
    assert response.status_code == 302 and "/login/" in response["Location"]
    client.force_login(make_teacher(org.school))  # not enrolled
    assert client.get(video.url, HTTP_RANGE="bytes=0-99").status_code == 403


@override_settings(SHIXUN_MEDIA_X_ACCEL_PREFIX="/_protected/")
def test_production_hands_the_file_to_nginx_after_the_check(client, lesson_video, org):
    video, learner = lesson_video
    client.force_login(learner)
    response = client.get(video.url, HTTP_RANGE="bytes=0-99")
    assert response.status_code == 200 and content(response) == b""
    assert response["X-Accel-Redirect"] == f"/_protected/media/{video.file.name}"
    assert response["Content-Length"] == "0" and response["Content-Type"] == "video/webm"

    client.force_login(make_teacher(org.school))
    refused = client.get(video.url)
    assert refused.status_code == 403 and not refused.has_header("X-Accel-Redirect")


def test_several_ranges_get_the_whole_file(client, lesson_video):
    """A multi-range request is answered 200 with the whole file (media_files' docstring says why), never a
    206 that would claim one range's Content-Range for the bytes of two."""
    video, learner = lesson_video
    client.force_login(learner)
    for header in ("bytes=0-1,5-9", "bytes=0-9, 0-9", "bytes=-5,0-1"):
        response = client.get(video.url, HTTP_RANGE=header)
        assert response.status_code == 200, header
        assert content(response) == VIDEO and not response.has_header("Content-Range")
        assert response["Content-Length"] == str(SIZE) and response["Accept-Ranges"] == "bytes"
