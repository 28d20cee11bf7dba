"""Certificate PDFs rendered once at issue and kept in private storage; revoked ones are refused."""

import hashlib
import io

import pytest
from django.core.files.storage import storages
from django.db import transaction
from pypdf import PdfReader

from shixun.courses.models import ModuleCompletion
from shixun.transcripts import certificates as certs
from shixun.transcripts.ledger import post_module_completion, reverse_entry
from shixun.transcripts.models import Certificate
from tests.transcripts.helpers import complete, enrol, make_course


@pytest.fixture
def issued(org, django_capture_on_commit_callbacks):
    course, modules = make_course(hours=("2.0",), title="信息技术应用能力提升")
    enrol(org.teacher, course)
    with django_capture_on_commit_callbacks(execute=True):
        complete(org.teacher, modules[0])
    return Certificate.objects.get(learner=org.teacher)


def test_issue_stores_the_pdf_once_with_its_checksum(issued):
    assert issued.pdf.name.startswith("certificates/") and issued.pdf.name.endswith(".pdf")
    storage = storages["private"]
    assert storage.exists(issued.pdf.name)
    with storage.open(issued.pdf.name) as handle:
        body = handle.read()
    assert hashlib.sha256(body).hexdigest() == issued.pdf_sha256
    text = PdfReader(io.BytesIO(body)).pages[0].extract_text()
    assert "王秀英" in text and issued.code in text and "http://testserver/v/" in text
    # Storing again is a no-op: same file, nothing rendered.
    before = issued.pdf.name
    assert certs.store_pdf(issued).pdf.name == before
    assert storage.listdir("certificates")[1].count(before.rsplit("/", 1)[-1]) == 1


def test_download_serves_the_stored_file(org, issued, client):
    with storages["private"].open(issued.pdf.name) as handle:
        stored = handle.read()
    client.force_login(org.school_admin)
    response = client.get(f"/transcript/certificates/{issued.code}/pdf/")
    assert response.status_code == 200 and response.content == stored


def test_a_certificate_issued_before_storage_is_stored_on_first_download(org, issued, client):
    storages["private"].delete(issued.pdf.name)
    Certificate.objects.filter(pk=issued.pk).update(pdf="", pdf_sha256="")
    client.force_login(org.teacher)
    response = client.get(f"/transcript/certificates/{issued.code}/pdf/")
    assert response["Content-Type"] == "application/pdf"
    issued.refresh_from_db()
    assert issued.pdf and hashlib.sha256(response.content).hexdigest() == issued.pdf_sha256


def test_a_tampered_file_is_not_served(org, issued, client):
    storage = storages["private"]
    storage.delete(issued.pdf.name)
    storage.save(issued.pdf.name, io.BytesIO(b"%PDF-1.4 forged"))
    client.force_login(org.teacher)
    response = client.get(f"/transcript/certificates/{issued.code}/pdf/")
    assert response.status_code == 503 and "完整性校验" in response.content.decode()


def test_a_revoked_certificate_is_refused_with_the_reason(org, issued, client):
    entry = post_module_completion(ModuleCompletion.objects.get().pk).entry
    reverse_entry(entry, reason="重复报名", actor=org.district_admin)
    client.force_login(org.school_admin)
    response = client.get(f"/transcript/certificates/{issued.code}/pdf/")
    text = response.content.decode()
    assert response.status_code == 410 and response["Content-Type"].startswith("text/html")
    assert "已被撤销" in text and "重复报名" in text
    transcript = client.get(f"/transcript/{org.teacher.pk}/").content.decode()
    assert f"/transcript/certificates/{issued.code}/pdf/" not in transcript


def test_download_is_still_permission_checked(org, issued, client):
    client.force_login(org.sibling_school_admin)
    assert client.get(f"/transcript/certificates/{issued.code}/pdf/").status_code == 403


def test_erasure_removes_the_stored_files_after_commit(org, issued, django_capture_on_commit_callbacks):
    name = issued.pdf.name
    with django_capture_on_commit_callbacks(execute=True):
        with transaction.atomic():
            assert certs.forget_stored_pdfs(org.teacher) == 1
    assert not storages["private"].exists(name)
    issued.refresh_from_db()
    assert not issued.pdf and not issued.pdf_sha256
    # The row and its verification stay.
    assert Certificate.objects.filter(pk=issued.pk, revoked_at__isnull=True).exists()


def test_a_rolled_back_erasure_keeps_the_file(org, issued, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        try:
            with transaction.atomic():
                certs.forget_stored_pdfs(org.teacher)
                raise RuntimeError("erasure failed")
        except RuntimeError:
            pass
    issued.refresh_from_db()
    assert issued.pdf and storages["private"].exists(issued.pdf.name)
