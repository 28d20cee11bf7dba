"""Offline and external training: register, approve (one ledger entry), reject, group credit all or nothing."""

import io
from datetime import date
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from shixun.schools import offline
from shixun.schools.models import ExternalTraining, GroupCredit
from tests.factories import make_teacher

TRAINING = dict(
    title="市级骨干教师培训", organiser="张掖市教育局", level="city",
    start_date=date(2026, 3, 1), end_date=date(2026, 3, 5), hours="24",
)


def ledger_for(user):
    from shixun.transcripts.models import LedgerEntry, SourceKind

    return list(LedgerEntry.objects.filter(learner=user, source_kind=SourceKind.EXTERNAL_TRAINING))


def png_bytes():
    from PIL import Image

    out = io.BytesIO()
    Image.new("RGB", (20, 20), "white").save(out, "PNG")
    return out.getvalue()


def test_teacher_registers_with_a_certificate_and_the_school_approves_once(client, org):
    client.force_login(org.teacher)
    response = client.post(
        reverse("schools:my_external_training"),
        {**TRAINING, "certificate": SimpleUploadedFile("证书.png", png_bytes(), content_type="image/png")},
    )
    assert response.status_code == 302
    record = ExternalTraining.objects.get()
    assert record.status == ExternalTraining.Status.SUBMITTED and record.certificate
    assert ledger_for(org.teacher) == []  # nothing until approved

    offline.approve(record, org.school_admin)
    offline.approve(record, org.school_admin)  # a double click
    (entry,) = ledger_for(org.teacher)
    assert entry.hours == Decimal("24") and entry.earned_on == date(2026, 3, 5)
    assert entry.posted_by == org.school_admin and entry.source_ref == f"external:{record.pk}"

    # The certificate: the teacher and their admins, nobody else.
    url = reverse("schools:external_certificate", args=[record.pk])
    for who, status in [
        (org.teacher, 200), (org.school_admin, 200), (org.district_admin, 200),
        (org.sibling_school_admin, 404), (org.foreign_district_admin, 404), (org.sibling_teacher, 404),
    ]:
        client.force_login(who)
        assert client.get(url).status_code == status, who


def test_a_disguised_certificate_is_refused(client, org):
    client.force_login(org.teacher)
    response = client.post(
        reverse("schools:my_external_training"),
        {**TRAINING, "certificate": SimpleUploadedFile("cert.png", b"MZ\x90\x00 a program", content_type="image/png")},
    )
    assert response.status_code == 200 and response.context["form"].errors["certificate"]
    assert not ExternalTraining.objects.exists()


def test_rejection_needs_a_reason_and_posts_nothing(org):
    record = offline.submit(org.teacher, **TRAINING)
    with pytest.raises(offline.ExternalTrainingError):
        offline.reject(record, org.school_admin, "  ")
    offline.reject(record, org.school_admin, "证书上的学时与登记不符")
    record.refresh_from_db()
    assert record.status == ExternalTraining.Status.REJECTED and record.rejection_reason
    with pytest.raises(offline.ExternalTrainingError):
        offline.approve(record, org.school_admin)  # decided is decided
    assert ledger_for(org.teacher) == []


@pytest.mark.parametrize(
    "who,allowed",
    [("school_admin", True), ("district_admin", True), ("sibling_school_admin", False),
     ("foreign_district_admin", False), ("teacher", False)],
)
def test_who_may_approve(org, who, allowed):
    record = offline.submit(org.teacher, **TRAINING)
    if allowed:
        offline.approve(record, getattr(org, who))
        assert len(ledger_for(org.teacher)) == 1
    else:
        with pytest.raises(offline.ExternalTrainingError):
            offline.approve(record, getattr(org, who))
        assert ledger_for(org.teacher) == []


def test_bad_registrations_are_refused(org):
    with pytest.raises(offline.ExternalTrainingError, match="end date"):
        offline.submit(org.teacher, **{**TRAINING, "end_date": date(2026, 2, 1)})
    with pytest.raises(offline.ExternalTrainingError, match="Hours"):
        offline.submit(org.teacher, **{**TRAINING, "hours": "0"})
    with pytest.raises(offline.ExternalTrainingError, match="taken place"):
        offline.submit(org.teacher, **{**TRAINING, "start_date": date(2099, 1, 1), "end_date": date(2099, 1, 2)})


def test_group_credit_for_a_cohort(org):
    mentor = make_teacher(org.school, staff_number="M01")
    result = offline.register_group(
        org.school_admin, org.district, staff_numbers=offline.parse_staff_numbers("T001\nM01\n"),
        **{**TRAINING, "title": "跟岗研修", "hours": "60"},
    )
    assert {t.pk for t in result.teachers} == {org.teacher.pk, mentor.pk}
    assert [e.hours for e in ledger_for(org.teacher)] == [Decimal("60")]
    assert [e.hours for e in ledger_for(mentor)] == [Decimal("60")]


def test_group_credit_is_all_or_nothing(org):
    with pytest.raises(offline.ExternalTrainingError) as refused:
        offline.register_group(
            org.school_admin, org.district, staff_numbers=["T001", "T002", "NOPE"], **TRAINING
        )
    # T002 is at the sibling school (not this admin's); NOPE does not exist.
    assert "NOPE" in refused.value.message and "T002" in refused.value.message
    assert not GroupCredit.objects.exists() and not ExternalTraining.objects.exists()
    assert ledger_for(org.teacher) == []


def test_parse_staff_numbers_from_pasted_text_or_a_file():
    assert offline.parse_staff_numbers("\ufeff工号\nT001, T002；T003、T001\n\n") == ["T001", "T002", "T003"]


def test_group_page_with_a_file(client, org):
    client.force_login(org.district_admin)
    response = client.post(
        reverse("schools:group_credit", args=[org.school.code]),
        {**TRAINING, "staff_file": SimpleUploadedFile("list.csv", "工号\nT001\n".encode("gb18030"))},
    )
    assert response.status_code == 302
    assert len(ledger_for(org.teacher)) == 1


def test_queue_shows_only_this_schools_registrations(client, org):
    offline.submit(org.teacher, **TRAINING)
    offline.submit(org.sibling_teacher, **{**TRAINING, "title": "别校的培训"})
    client.force_login(org.school_admin)
    page = client.get(reverse("schools:external_queue", args=[org.school.code])).content.decode()
    assert TRAINING["title"] in page and "别校的培训" not in page
    foreign = ExternalTraining.objects.get(teacher=org.sibling_teacher)
    url = reverse("schools:external_decide", args=[org.school.code, foreign.pk])
    assert client.post(url, {"decision": "approve"}).status_code == 404


@pytest.fixture
def postgres_only(transactional_db):
    from django.db import connection

    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL row locks")


@pytest.mark.postgres
def test_two_admins_approving_at_once_post_one_entry(postgres_only, org):
    import threading

    from django.db import connection

    record = offline.submit(org.teacher, **TRAINING)
    barrier = threading.Barrier(2)
    errors = []

    def approve(admin):
        try:
            barrier.wait()
            offline.approve(record, admin)
        except Exception as exc:  # noqa: BLE001 - collected and asserted below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=approve, args=(a,)) for a in (org.school_admin, org.district_admin)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert len(ledger_for(org.teacher)) == 1
