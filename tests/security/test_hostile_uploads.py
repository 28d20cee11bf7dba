"""Hostile files through the real upload views: each refused with a clear message, nothing left behind.

Four doors take files from people: the assignment hand-in (teachers), the
external-training certificate (teachers), the roster import (school
admins) and the H5P package (trainers, in the Wagtail admin, and the
h5p_import command). Each gets the same kind of corpus, through the real
view with a real multipart request. A refusal must name the problem in
Chinese next to the field, and leave no row in any Shixun table, no file in
private storage and no file in the H5P store.
"""

from __future__ import annotations

import html
import io
import zipfile
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.core.management.base import CommandError
from django.urls import reverse
from django.utils import translation

from tests.h5p import packages as P
from tests.uploads import samples as S

from .conftest import marked_pdf, private_files
from .state import changes, database_state

pytestmark = pytest.mark.django_db

MB = 1024 * 1024
ALL_KINDS = ["pdf", "word", "powerpoint", "excel", "image", "text"]


def xlsx_bomb(empty_rows: int) -> bytes:
    """A roster .xlsx: the header, ``empty_rows`` empty rows (tiny once zipped), one teacher."""
    rows = ['<row><c t="inlineStr"><is><t>姓名</t></is></c><c t="inlineStr"><is><t>工号</t></is></c></row>']
    rows.append("<row/>" * empty_rows)  # identical elements: they zip down to almost nothing
    rows.append('<row><c t="inlineStr"><is><t>炸弹</t></is></c><c t="inlineStr"><is><t>B001</t></is></c></row>')
    sheet = ('<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="http://schemas.openxmlformats.org/'
             'spreadsheetml/2006/main"><sheetData>' + "".join(rows) + "</sheetData></worksheet>").encode()
    source = zipfile.ZipFile(io.BytesIO(S.ooxml("xlsx")))
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as bomb:
        for info in source.infolist():
            bomb.writestr(info.filename, sheet if info.filename == "xl/worksheets/sheet1.xml" else source.read(info))
    return buffer.getvalue()


# What teachers and admins could upload, by mistake or not. (label, file name, bytes builder)
FILE_CORPUS = [
    ("renamed Windows program", "教学设计.pdf", S.executable),
    ("renamed Linux program", "教学设计.docx", S.elf),
    ("JPEG that is also a ZIP with a program", "照片.jpg", S.jpeg_with_zip),
    ("GIF that is also JavaScript", "照片.gif", S.gif_javascript_polyglot),
    ("JPEG posing as a PDF", "证书.pdf", S.jpeg_with_pdf_header),
    ("PDF that runs JavaScript", "教学设计.pdf", S.pdf_with_javascript),
    ("PDF that launches a program", "教学设计.pdf", S.pdf_with_launch),
    ("SVG with script", "图.svg", S.svg_with_script),
    ("HTML page with script", "作业.html", S.html_page),
    ("decompression-bomb PNG (400 megapixels)", "照片.png", lambda: S.png_bomb(20000, 20000)),
]
# Hostile Word documents: only the hand-in takes Word files (the certificate refuses them by kind).
WORD_CORPUS = [
    ("macro document renamed .docx", "教学设计.docx", S.docm_named_docx),
    ("ZIP bomb in a Word document", "教学设计.docx", S.docx_bomb),
    ("Word document of many small bombs", "教学设计.docx", S.docx_of_many_small_bombs),
    ("Word document whose part inflates past its declared size", "教学设计.docx", S.docx_whose_size_lies),
    ("Word document with overlapping entries (CVE-2024-0450)", "教学设计.docx", S.docx_with_overlapping_entries),
]


def refusal_shown(response, field: str) -> str:
    """The message on the field, checked to be on the page (escaped) and in Chinese."""
    assert response.status_code == 200, response.status_code
    form = response.context["form"]
    assert field in form.errors, f"no refusal on {field}: {form.errors}"
    message = form.errors[field][0]
    assert html.escape(message) in response.content.decode()
    assert any("\u4e00" <= ch <= "\u9fff" for ch in message), f"not in Chinese: {message}"
    return message


class Unchanged:
    """Every Shixun row and private file as before; used as a context manager around the request."""

    def __init__(self, *extra_roots: Path):
        self.extra_roots = extra_roots

    def _files(self):
        found = set()
        for root in self.extra_roots:
            found |= {str(p) for p in Path(root).rglob("*") if p.is_file()} if Path(root).exists() else set()
        return found

    def __enter__(self):
        self.rows, self.private, self.files = database_state(), private_files(), self._files()
        return self

    def __exit__(self, *exc):
        if exc[0] is None:
            assert changes(self.rows, database_state()) == {}
            assert private_files() == self.private
            assert self._files() == self.files
        return False


# --- Assignment hand-in -------------------------------------------------------------------------


@pytest.fixture
def open_assignment(world):
    """The world's assignment accepting every kind, so each refusal is about the file's content."""
    world.assignment.allowed_kinds = ALL_KINDS
    world.assignment.save()
    return world.assignment


ASSIGNMENT_CORPUS = [pytest.param(*case, id=case[0]) for case in FILE_CORPUS + WORD_CORPUS]


@pytest.mark.parametrize(("label", "name", "build"), ASSIGNMENT_CORPUS)
def test_the_assignment_hand_in_refuses(client, world, open_assignment, label, name, build):
    client.force_login(world.teacher)
    url = reverse("assignments:hand_in", args=[world.module.pk, open_assignment.pk])
    with Unchanged():
        response = client.post(url, {"file": SimpleUploadedFile(name, build())})
        refusal_shown(response, "file")


@pytest.mark.parametrize(
    "build",
    [S.docx_bomb, S.docx_of_many_small_bombs, S.docx_with_overlapping_entries, S.docx_holding_a_zip_of_a_zip_of_zeros],
)
def test_a_zip_bomb_is_called_one_and_the_teacher_is_told_what_to_do(client, world, open_assignment, build):
    from shixun.assessments.uploads.refusals import MESSAGES

    client.force_login(world.teacher)
    url = reverse("assignments:hand_in", args=[world.module.pk, open_assignment.pk])
    with Unchanged():
        response = client.post(url, {"file": SimpleUploadedFile("教学设计.docx", build())})
        message = refusal_shown(response, "file")
    with translation.override("zh-hans"):
        assert message == str(MESSAGES["zip_bomb"])
    assert "压缩炸弹" in message and "另存为" in message


def test_the_assignment_hand_in_refuses_an_oversized_file_while_it_streams_in(client, world, open_assignment):
    client.force_login(world.teacher)
    url = reverse("assignments:hand_in", args=[world.module.pk, open_assignment.pk])
    too_big = S.pdf(padding=open_assignment.max_bytes + MB)
    with Unchanged():
        response = client.post(url, {"file": SimpleUploadedFile("教学设计.pdf", too_big)})
        refusal_shown(response, "file")


def test_a_path_in_the_file_name_never_leaves_the_private_folder(client, world, open_assignment):
    from shixun.assessments.assignments.models import SubmissionVersion

    client.force_login(world.sibling_teacher)
    url = reverse("assignments:hand_in", args=[world.module.pk, open_assignment.pk])
    before = private_files()
    response = client.post(url, {"file": SimpleUploadedFile("../../../../etc/cron.d/教学设计.pdf", marked_pdf(b"x"))})
    assert response.status_code == 302
    version = SubmissionVersion.objects.get(submission__learner=world.sibling_teacher)
    new = private_files() - before
    assert len(new) == 1
    stored = Path(new.pop())
    assert ".." not in stored.parts and not stored.is_absolute()
    assert "/" not in version.original_name and ".." not in version.original_name
    download = client.get(reverse("assignments:download", args=[version.pk]))
    assert download["Content-Disposition"].startswith("attachment")
    assert "/" not in download["Content-Disposition"].split("filename", 1)[1]


# --- External-training certificate ---------------------------------------------------------------


def external_form(**changes):
    return {
        "title": "市级班主任培训", "organiser": "市教育局", "level": "city", "start_date": "2026-01-05",
        "end_date": "2026-01-06", "hours": "8", **changes,
    }


CERTIFICATE_CORPUS = FILE_CORPUS


@pytest.mark.parametrize(("label", "name", "build"), CERTIFICATE_CORPUS, ids=[c[0] for c in CERTIFICATE_CORPUS])
def test_the_external_training_certificate_upload_refuses(client, world, label, name, build):
    client.force_login(world.teacher)
    with Unchanged():
        response = client.post(
            reverse("schools:my_external_training"), external_form(certificate=SimpleUploadedFile(name, build()))
        )
        refusal_shown(response, "certificate")


def test_the_external_training_certificate_refuses_an_oversized_file(client, world):
    from shixun.schools.offline import CERTIFICATE_MAX_BYTES

    client.force_login(world.teacher)
    with Unchanged():
        response = client.post(
            reverse("schools:my_external_training"),
            external_form(certificate=SimpleUploadedFile("证书.pdf", S.pdf(padding=CERTIFICATE_MAX_BYTES + MB))),
        )
        refusal_shown(response, "certificate")


# --- Roster import --------------------------------------------------------------------------------

ROSTER_CORPUS = [
    ("renamed Windows program", "名单.csv", S.executable),
    ("renamed Windows program as .xlsx", "名单.xlsx", S.executable),
    ("HTML page with script as .csv", "名单.csv", S.html_page),
    ("SVG with script", "名单.svg", S.svg_with_script),
    ("a PDF", "名单.pdf", lambda: marked_pdf(b"x")),
    ("JPEG that is also a ZIP, named .xlsx", "名单.xlsx", S.jpeg_with_zip),
    ("Word document named .xlsx", "名单.xlsx", lambda: S.ooxml("docx")),
    ("oversized CSV", "名单.csv", lambda: ("姓名,工号\n" + "王芳,T1\n" * (6 * MB // 10)).encode()),
]


@pytest.mark.parametrize(("label", "name", "build"), ROSTER_CORPUS, ids=[c[0] for c in ROSTER_CORPUS])
def test_the_roster_upload_refuses(client, world, label, name, build):
    client.force_login(world.school_admin)
    with Unchanged():
        response = client.post(reverse("schools:roster", args=[world.school.code]),
                               {"file": SimpleUploadedFile(name, build())})
        refusal_shown(response, "file")


def test_the_roster_upload_refuses_an_xlsx_zip_bomb_of_empty_rows(client, world):
    bomb = xlsx_bomb(500_000)  # 3 MB of sheet XML in a file of a few KB (the rows cost seconds)
    assert len(bomb) < 200 * 1024
    client.force_login(world.school_admin)
    with Unchanged():
        response = client.post(reverse("schools:roster", args=[world.school.code]),
                               {"file": SimpleUploadedFile("名单.xlsx", bomb)})
        refusal_shown(response, "file")


# --- H5P packages: the admin upload and h5p_import --------------------------------------------------

H5P_ADD_URL = "/admin/snippets/shixun_h5p/h5pactivity/add/"


def traversal_package() -> bytes:
    return P.package(replace={"content/../../../../tmp/shixun-evil.js": b"alert(1)"})


def svg_package(kind: str) -> bytes:
    return P.package(replace={"content/images/x.svg": P.HOSTILE_MARKUP[kind]})


def absolute_path_package() -> bytes:
    return P.package(replace={"/etc/shixun-evil.json": b"{}"})


H5P_CORPUS = [
    ("not a zip (a PDF renamed .h5p)", lambda: marked_pdf(b"x")),
    ("a program renamed .h5p", S.executable),
    ("zip bomb: overlapping entries", P.overlapping_package),
    ("zip bomb: sizes that lie", lambda: P.size_lie_package("content/content.json", b"{" + b" " * 50_000 + b"}", 10)),
    ("path traversal in an entry name", traversal_package),
    ("absolute path in an entry name", absolute_path_package),
    ("symbolic link to /etc/passwd", P.symlink_package),
    ("SVG with script inside", lambda: svg_package("script element")),
    ("SVG with an event handler inside", lambda: svg_package("event handler")),
    ("SVG with a javascript: link inside", lambda: svg_package("javascript link")),
    ("HTML page inside", lambda: P.package(replace={"content/page.html": S.html_page()})),
    ("a program inside", lambda: P.package(replace={"content/run.exe": S.executable()})),
    ("encrypted entry", P.encrypted_flag_package),
    ("lying entry count", lambda: P.lying_entry_count_package(65000)),
]


@pytest.mark.parametrize(("label", "build"), H5P_CORPUS, ids=[c[0] for c in H5P_CORPUS])
def test_the_h5p_admin_upload_refuses(client, world, h5p_store, label, build):
    client.force_login(world.superuser)
    data = {"title": "恶意包", "completion_rule": "passed", "pass_mark": "60", "score_may_complete": "on",
            "package": SimpleUploadedFile("activity.h5p", build(), content_type="application/zip")}
    with Unchanged(h5p_store, Path("/tmp/shixun-evil.js")):
        response = client.post(H5P_ADD_URL, data)
        refusal_shown(response, "package")
    assert not Path("/tmp/shixun-evil.js").exists()


def test_h5p_import_refuses_the_whole_corpus_and_leaves_nothing(world, h5p_store, tmp_path):
    paths = []
    for index, (_label, build) in enumerate(H5P_CORPUS):
        path = tmp_path / f"hostile-{index}.h5p"
        path.write_bytes(build())
        paths.append(str(path))
    out, err = io.StringIO(), io.StringIO()
    with Unchanged(h5p_store):
        with pytest.raises(CommandError) as refused:
            call_command("h5p_import", *paths, stdout=out, stderr=err)
    assert refused.value.returncode != 0
    lines = [line for line in err.getvalue().splitlines() if line.strip()]
    assert len(lines) == len(paths), err.getvalue()
    assert all(Path(p).name in "\n".join(lines) for p in paths)
