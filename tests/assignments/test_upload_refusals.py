"""Every kind of dangerous upload, sent as a real multipart request to the hand-in view.

The validator's own unit tests live in tests/uploads; these prove the view
refuses each one with the validator's Chinese message next to the file field,
and stores nothing: no row, no file in private storage, no progress.
"""

import re

import pytest
from django.core.files.uploadhandler import FileUploadHandler
from django.utils import translation

from shixun.assessments.assignments.models import Submission, SubmissionVersion
from shixun.assessments.uploads.refusals import refuse, too_large
from shixun.courses.models import ActivityProgress
from tests.uploads import samples

from .conftest import post_hand_in, stored_files, upload

pytestmark = pytest.mark.django_db

CJK = re.compile(r"[\u4e00-\u9fff]")


def file_errors(response) -> str:
    match = re.search(
        r'<div class="errorlist" role="alert" id="file-errors">(.*?)</div>', response.content.decode(), re.S
    )
    assert match, "no error next to the file field"
    return match.group(1)


def chinese(code, **params) -> str:
    with translation.override("zh-hans"):
        return refuse(code, **params).message


def assert_nothing_stored(teacher):
    assert not Submission.objects.filter(learner=teacher).exists()
    assert not SubmissionVersion.objects.exists()
    assert not ActivityProgress.objects.filter(user=teacher).exists()
    assert stored_files() == []


@pytest.fixture
def teacher_client(client, org, setup):
    setup.assignment.allowed_kinds = ["pdf", "word", "image", "text"]
    setup.assignment.max_size_mb = 1
    setup.assignment.save()
    client.force_login(org.teacher)
    return client


@pytest.mark.parametrize(
    "name, data, code",
    [
        # 20000 x 20000 1-bit pixels: a few KB on the wire, 400 million pixels to decode.
        pytest.param("照片.png", samples.png_bomb(20_000, 20_000), "too_many_pixels", id="decompression-bomb"),
        pytest.param("教案.pdf", samples.executable(), "executable", id="renamed-executable"),
        pytest.param("教案.docx", samples.elf(), "executable", id="renamed-elf"),
        pytest.param("照片.jpg", samples.jpeg_with_zip(), "polyglot", id="polyglot-jpeg-zip"),
        pytest.param("照片.gif", samples.gif_javascript_polyglot(), "polyglot", id="polyglot-gif-javascript"),
        pytest.param("图.svg", samples.svg_with_script(), "active_content", id="svg-with-script"),
        pytest.param("图.png", samples.svg_with_script(), None, id="svg-with-script-renamed-png"),
        pytest.param("作业.zip", samples.plain_zip(**{"a.docx": samples.ooxml("docx")}), "archive", id="archive"),
        pytest.param("教案.docx", samples.docm_named_docx(), "macro", id="macro-document"),
        pytest.param("教案.pdf", samples.pdf_with_javascript(), "pdf_active_content", id="pdf-with-javascript"),
    ],
)
def test_dangerous_upload_is_refused_with_the_chinese_message_and_nothing_is_stored(
    teacher_client, org, setup, name, data, code
):
    response = post_hand_in(teacher_client, setup.module, setup.assignment, file=upload(name, data))

    assert response.status_code == 200  # the form again, not a redirect
    shown = file_errors(response)
    assert CJK.search(shown), shown
    if code is not None:
        assert chinese(code) in shown
    assert_nothing_stored(org.teacher)


def test_oversized_file_is_dropped_while_streaming_with_the_chinese_message(teacher_client, org, setup):
    big_pdf = samples.pdf(padding=1024 * 1024 + 10)  # a valid PDF just over the 1 MB limit

    response = post_hand_in(teacher_client, setup.module, setup.assignment, file=upload("大文件.pdf", big_pdf))

    with translation.override("zh-hans"):
        expected = too_large(setup.assignment.max_bytes).message
    assert expected in file_errors(response)
    assert_nothing_stored(org.teacher)


def test_a_kind_the_assignment_does_not_allow_is_refused(client, org, setup):
    client.force_login(org.teacher)  # the default assignment allows PDF and Word only
    response = post_hand_in(client, setup.module, setup.assignment, file=upload("照片.jpg", samples.photo()))
    assert "PDF" in file_errors(response)
    assert_nothing_stored(org.teacher)


def test_an_empty_hand_in_asks_for_the_file(client, org, setup):
    client.force_login(org.teacher)
    response = post_hand_in(client, setup.module, setup.assignment)
    assert "请选择要提交的文件" in file_errors(response)
    assert_nothing_stored(org.teacher)


def test_accepted_picture_is_stored_re_encoded_without_metadata(teacher_client, org, setup):
    from PIL import Image

    response = post_hand_in(teacher_client, setup.module, setup.assignment, file=upload("照片.jpg", samples.photo()))
    assert response.status_code == 302
    (path,) = stored_files()
    with Image.open(path) as stored:
        assert not stored.getexif()  # the GPS/orientation EXIF of the phone photo is gone


def test_a_failed_transaction_leaves_no_file_behind(teacher_client, org, setup, monkeypatch):
    """File saved, then the row fails: the stored file is deleted again."""
    from shixun.assessments.assignments import services

    def broken(*args, **kwargs):
        raise RuntimeError("database went away")

    monkeypatch.setattr(services, "record_activity_status", broken)
    with pytest.raises(RuntimeError):
        post_hand_in(teacher_client, setup.module, setup.assignment, file=upload("教案.pdf", samples.pdf()))
    assert_nothing_stored(org.teacher)


class CountingHandler(FileUploadHandler):
    """A real upload handler placed after the size guard: counts the bytes that got past it."""

    received = 0

    def receive_data_chunk(self, raw_data, start):
        CountingHandler.received += len(raw_data)
        return raw_data

    def file_complete(self, file_size):
        return None


def test_the_size_guard_stops_an_oversized_file_before_the_rest_is_written(teacher_client, org, setup, settings):
    settings.FILE_UPLOAD_HANDLERS = [
        "tests.assignments.test_upload_refusals.CountingHandler",
        "django.core.files.uploadhandler.TemporaryFileUploadHandler",
    ]
    CountingHandler.received = 0
    eight_mb = samples.pdf(padding=8 * 1024 * 1024)

    response = post_hand_in(teacher_client, setup.module, setup.assignment, file=upload("大文件.pdf", eight_mb))

    assert "1.0" in file_errors(response)  # "不能超过 1.0 MB"
    # Only the part before the limit ever reached the handlers that write to memory or disk.
    assert CountingHandler.received <= setup.assignment.max_bytes
    assert_nothing_stored(org.teacher)


def test_a_file_sent_to_a_typed_answer_assignment_is_dropped_not_stored(client, org, setup):
    setup.assignment.answer_mode = "text"
    setup.assignment.allowed_kinds = []
    setup.assignment.save()
    client.force_login(org.teacher)
    response = post_hand_in(
        client, setup.module, setup.assignment, file=upload("x.pdf", samples.pdf()), text="我的作答"
    )
    assert response.status_code == 302
    version = Submission.objects.get(learner=org.teacher).current_version
    assert version.text == "我的作答" and not version.has_file
    assert stored_files() == []
