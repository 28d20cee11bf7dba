"""The programme's certificate: issued once at the close for each passing teacher, verifiable, revocable."""

import io
from decimal import Decimal

import pytest
from django.core.files.storage import storages
from django.db import IntegrityError, transaction
from pypdf import PdfReader

from shixun.shadowing import services
from shixun.transcripts.ledger import reverse_entry
from shixun.transcripts.models import Certificate, LedgerEntry, SourceKind
from tests.shadowing.test_close import complete_work, end_programme

pytestmark = pytest.mark.django_db


@pytest.fixture
def closed(shadow, django_capture_on_commit_callbacks):
    complete_work(shadow, shadow.participant, shadow.org.teacher, shadow.mentor)
    end_programme(shadow)
    with django_capture_on_commit_callbacks(execute=True):
        services.close_programme(shadow.org.district_admin, shadow.programme)
    return shadow


def test_issued_once_for_the_passing_teacher_even_under_a_double_close(closed, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        services.close_programme(closed.org.district_admin, closed.programme)
    certificates = Certificate.objects.filter(source_kind=SourceKind.SHADOWING)
    assert certificates.count() == 1  # the other teacher failed; mentors get hours, not a certificate
    certificate = certificates.get()
    assert certificate.learner == closed.org.teacher and certificate.course_id is None
    assert certificate.hours == Decimal("60") and certificate.completed_on == closed.programme.end_date
    assert certificate.source_ref == services.teacher_source_ref(closed.participant)
    assert certificate.issuer == closed.org.district.name and certificate.kind == "completion"
    assert services.certificate_of(closed.participant) == certificate
    assert services.certificate_of(closed.other) is None


def test_the_programme_figure_is_the_certificate_figure(shadow):
    shadow.programme.teacher_hours = Decimal("48")
    shadow.programme.save()
    complete_work(shadow, shadow.participant, shadow.org.teacher, shadow.mentor)
    end_programme(shadow)
    services.close_programme(shadow.org.district_admin, shadow.programme)
    assert services.certificate_of(shadow.participant).hours == Decimal("48")


def test_the_stored_pdf_names_the_programme_and_the_hours(closed, client):
    certificate = services.certificate_of(closed.participant)
    certificate.refresh_from_db()
    assert certificate.pdf  # rendered after the close committed
    client.force_login(closed.org.teacher)
    response = client.get(f"/transcript/certificates/{certificate.code}/pdf/")
    assert response.status_code == 200
    with storages["private"].open(certificate.pdf.name) as handle:
        assert handle.read() == response.content
    text = "".join(PdfReader(io.BytesIO(response.content)).pages[0].extract_text().split())
    assert closed.programme.title in text and "60" in text and certificate.code in text
    assert "王秀英" in text and "结业证书" in text and "课程" not in text  # not worded as a course


def test_the_verification_page_shows_it(closed, client):
    certificate = services.certificate_of(closed.participant)
    response = client.get(f"/v/{certificate.code}/")
    body = response.content.decode()
    assert response.status_code == 200
    assert closed.programme.title in body and "60.0" in body and "有效" in body


def test_the_teacher_sees_it_on_the_workspace_and_transcript(closed, client):
    certificate = services.certificate_of(closed.participant)
    client.force_login(closed.org.teacher)
    body = client.get(f"/shadowing/p/{closed.participant.pk}/").content.decode()
    assert certificate.code in body and f"/transcript/certificates/{certificate.code}/pdf/" in body
    body = client.get("/transcript/").content.decode()
    assert certificate.code in body and closed.programme.title in body


def test_reversing_the_hours_revokes_the_certificate(closed, client):
    entry = LedgerEntry.objects.get(source_kind=SourceKind.SHADOWING,
                                    source_ref=services.teacher_source_ref(closed.participant))
    reverse_entry(entry, reason="材料造假", actor=closed.org.district_admin)
    certificate = services.certificate_of(closed.participant)
    assert not certificate.is_valid and certificate.revoked_reason == "材料造假"
    assert "已撤销" in client.get(f"/v/{certificate.code}/").content.decode()
    client.force_login(closed.org.teacher)
    assert client.get(f"/transcript/certificates/{certificate.code}/pdf/").status_code == 410


def test_a_certificate_has_exactly_one_source(closed):
    certificate = services.certificate_of(closed.participant)
    with pytest.raises(IntegrityError), transaction.atomic():
        Certificate.objects.filter(pk=certificate.pk).update(source_kind="", source_ref="")
    with pytest.raises(IntegrityError), transaction.atomic():
        Certificate.objects.create(
            learner=closed.org.teacher, source_kind=SourceKind.SHADOWING, source_ref=certificate.source_ref,
            kind="credit_hours", course_title="x", learner_name="x", hours=1, completed_on=certificate.completed_on,
            issued_on=certificate.issued_on, issuer="x",
        )
