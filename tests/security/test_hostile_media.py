"""Hostile files through the Wagtail admin's document and image uploads, as a trainer (issue #17).

The attack: HTML, an SVG with a script, HTML renamed .pdf and a PDF with
JavaScript were accepted as documents, and PDFs were served inline from the
site's origin. Documents and images now go through the assignment checks
(courses.media_uploads) in the single and the multiple upload, and documents
download as attachments, except lesson videos, which a <video> element plays.
"""

from __future__ import annotations

import html
import json

import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from wagtail.documents import get_document_model
from wagtail.images import get_image_model
from wagtail.models import Collection

from shixun.courses.media_uploads import DOCUMENT_EXTENSIONS
from tests.uploads import samples as S

from .conftest import marked_pdf, public_media_files

pytestmark = pytest.mark.django_db

MP4 = b"\x00\x00\x00\x18ftypmp42\x00\x00\x00\x00mp42isom" + b"\x00\x00\x00\x08free" + b"\x00" * 64
WEBM = b"\x1a\x45\xdf\xa3\x9f\x42\x86\x81\x01\x42\xf7\x81\x01\x42\xf2\x81\x04\x42\xf3\x81\x08\x42\x82\x84webm" + (
    b"\x00" * 64
)

DOCUMENT_CORPUS = [
    ("HTML page", "讲义.html", S.html_page),
    ("SVG with script", "图.svg", S.svg_with_script),
    ("HTML renamed .pdf", "讲义.pdf", S.html_page),
    ("PDF that runs JavaScript", "讲义.pdf", S.pdf_with_javascript),
    ("PDF that launches a program", "讲义.pdf", S.pdf_with_launch),
    ("renamed Windows program", "讲义.docx", S.executable),
    ("macro document renamed .docx", "讲义.docx", S.docm_named_docx),
    ("JPEG that is also a ZIP with a program", "照片.jpg", S.jpeg_with_zip),
    ("HTML renamed .mp4", "第一课.mp4", S.html_page),
    ("PDF renamed .webm", "第一课.webm", lambda: marked_pdf(b"x")),
    ("MP4 that is also a web page", "第一课.mp4", lambda: MP4[:32] + b"<script>alert(1)</script>"),
]
IMAGE_CORPUS = [
    ("SVG with script", "图.svg", S.svg_with_script),
    ("GIF that is also JavaScript", "照片.gif", S.gif_javascript_polyglot),
    ("JPEG that is also a ZIP with a program", "照片.jpg", S.jpeg_with_zip),
    ("PNG with a script chunk", "照片.png", S.png_with_script_chunk),
    ("PNG with data after its end", "照片.png", S.png_with_trailing_data),
    ("HTML renamed .png", "照片.png", S.html_page),
]


@pytest.fixture
def trainer(client, world):
    client.force_login(world.trainer)
    return world.trainer


def root_collection() -> int:
    return Collection.get_first_root_node().pk


def in_chinese(message: str) -> bool:
    return any("\u4e00" <= ch <= "\u9fff" for ch in message)


def upload_single(client, app: str, name: str, data: bytes):
    return client.post(
        reverse(f"{app}:add"),
        {"title": "讲义", "collection": root_collection(), "file": SimpleUploadedFile(name, data)},
    )


def upload_multiple(client, app: str, name: str, data: bytes):
    return client.post(
        reverse(f"{app}:add_multiple"),
        {"collection": root_collection(), "files[]": SimpleUploadedFile(name, data)},
    )


def assert_refused_single(response):
    assert response.status_code == 200, response.status_code
    errors = response.context["form"].errors
    assert "file" in errors, errors
    message = errors["file"][0]
    assert html.escape(message) in response.content.decode()
    assert in_chinese(message), message


def assert_refused_multiple(response):
    assert response.status_code == 200
    answer = json.loads(response.content)
    assert answer["success"] is False, answer
    assert in_chinese(answer["error_message"]), answer


@pytest.mark.parametrize(("label", "name", "build"), DOCUMENT_CORPUS, ids=[c[0] for c in DOCUMENT_CORPUS])
def test_the_document_uploads_refuse(client, trainer, label, name, build):
    documents, files = get_document_model().objects.count(), public_media_files()
    assert_refused_single(upload_single(client, "wagtaildocs", name, build()))
    assert_refused_multiple(upload_multiple(client, "wagtaildocs", name, build()))
    assert get_document_model().objects.count() == documents
    assert public_media_files() == files


@pytest.mark.parametrize(("label", "name", "build"), IMAGE_CORPUS, ids=[c[0] for c in IMAGE_CORPUS])
def test_the_image_uploads_refuse(client, trainer, label, name, build):
    images, files = get_image_model().objects.count(), public_media_files()
    assert_refused_single(upload_single(client, "wagtailimages", name, build()))
    assert_refused_multiple(upload_multiple(client, "wagtailimages", name, build()))
    assert get_image_model().objects.count() == images
    assert public_media_files() == files


def test_a_replacement_file_on_the_edit_form_is_checked_too(client, trainer):
    assert upload_single(client, "wagtaildocs", "讲义.pdf", marked_pdf(b"handout")).status_code == 302
    document = get_document_model().objects.order_by("-pk").first()
    response = client.post(
        reverse("wagtaildocs:edit", args=[document.pk]),
        {"title": "讲义", "collection": root_collection(), "file": SimpleUploadedFile("讲义.pdf", S.html_page())},
    )
    assert_refused_single(response)
    document.refresh_from_db()
    with document.file.open("rb") as stored:
        assert stored.read().startswith(b"%PDF-")


def latest_pk(model) -> int:
    return model.objects.order_by("-pk").values_list("pk", flat=True).first() or 0


def served(client, document):
    response = client.get(document.url)
    assert response.status_code == 200, response.status_code
    return response


@pytest.mark.parametrize("how", ["single", "multiple"])
def test_handouts_are_accepted_and_download_as_attachments(client, trainer, how):
    upload = upload_single if how == "single" else upload_multiple
    new = get_document_model().objects.filter(pk__gt=latest_pk(get_document_model()))
    for name, data in (("讲义.pdf", marked_pdf(b"handout")), ("笔记.txt", S.gbk_text())):
        response = upload(client, "wagtaildocs", name, data)
        assert response.status_code in (200, 302)
        assert how == "single" or json.loads(response.content)["success"] is True
    pdf, text = new.get(file__endswith=".pdf"), new.get(file__endswith=".txt")
    response = served(client, pdf)
    assert response["Content-Disposition"].startswith("attachment")
    assert response["X-Content-Type-Options"] == "nosniff"
    response = served(client, text)
    assert response["Content-Disposition"].startswith("attachment")
    # Text is stored as UTF-8, as an assignment's is.
    assert b"".join(response.streaming_content).decode("utf-8") == S.LESSON_NOTES


@pytest.mark.parametrize(("name", "data", "content_type"), [
    ("第一课.mp4", MP4, "video/mp4"),
    ("第一课.webm", WEBM, "video/webm"),
], ids=["mp4", "webm"])
@pytest.mark.parametrize("how", ["single", "multiple"])
def test_lesson_videos_are_accepted_and_play_inline(client, trainer, how, name, data, content_type):
    upload = upload_single if how == "single" else upload_multiple
    new = get_document_model().objects.filter(pk__gt=latest_pk(get_document_model()))
    response = upload(client, "wagtaildocs", name, data)
    assert response.status_code in (200, 302)
    assert how == "single" or json.loads(response.content)["success"] is True
    video = new.get()
    response = served(client, video)
    assert response["Content-Type"] == content_type
    assert response["Content-Disposition"].startswith("inline")
    # The reading rule of courses/documents.py still applies: a visitor who is not logged in is sent away.
    client.logout()
    assert client.get(video.url).status_code == 302


def test_pictures_are_accepted_and_re_encoded(client, trainer):
    new = get_image_model().objects.filter(pk__gt=latest_pk(get_image_model()))
    photo = S.photo("JPEG")
    assert S.SECRET.encode() in photo  # the EXIF marker a re-encoding drops
    assert upload_single(client, "wagtailimages", "照片.jpg", photo).status_code == 302
    answer = json.loads(upload_multiple(client, "wagtailimages", "照片2.png", S.png_with_text()).content)
    assert answer["success"] is True
    assert new.count() == 2
    for image in new:
        with image.file.open("rb") as stored:
            assert S.SECRET.encode() not in stored.read()
        assert image.width and image.height


def test_wagtail_offers_exactly_the_extensions_that_are_checked():
    assert sorted(settings.WAGTAILDOCS_EXTENSIONS) == DOCUMENT_EXTENSIONS
