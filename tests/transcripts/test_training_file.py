"""The teacher's training file: the ledger's data read back from the PDF, who may download it, its check."""

import io
import zipfile
from datetime import date
from decimal import Decimal

import pytest
from django.core.files.storage import storages
from django.utils import translation
from pypdf import PdfReader
from wagtail import hooks

from shixun.schools import exports, jobs
from shixun.schools.models import ExportJob
from shixun.transcripts.ledger import post_entry, reverse_entry
from shixun.transcripts.models import Certificate, PeriodKind, RequirementRule, SourceKind, TrainingFile
from shixun.transcripts.training_file import TRAINING_FILE_SECTION_HOOK, Section, produce
from tests.factories import make_teacher
from tests.transcripts.helpers import complete, enrol, make_course

pytestmark = pytest.mark.django_db

HOSTILE_TITLE = "<b>校本研修</b> & =1+1"


def pdf_text(body: bytes) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(body)).pages)


@pytest.fixture
def record(org, django_capture_on_commit_callbacks):
    """Hours from a course (with its certificate), external training, an entry reversed, two requirement rules."""
    RequirementRule.objects.create(district=org.district, name="每年不少于80学时", period_kind=PeriodKind.CALENDAR_YEAR,
                                   minimum_hours=Decimal("80"))
    RequirementRule.objects.create(district=org.district, name="五年360学时", period_kind=PeriodKind.CYCLE,
                                   minimum_hours=Decimal("360"), cycle_start_year=2021, cycle_years=5)
    course, modules = make_course(("2.0",), title="信息技术应用能力提升")
    with django_capture_on_commit_callbacks(execute=True):
        enrol(org.teacher, course)
        complete(org.teacher, modules[0])
    kept = post_entry(learner=org.teacher, hours=Decimal("6"), title=HOSTILE_TITLE,
                      source_kind=SourceKind.EXTERNAL_TRAINING, source_ref="ext-1", earned_on=date(2025, 3, 1)).entry
    wrong = post_entry(learner=org.teacher, hours=Decimal("4"), title="重复登记的培训",
                       source_kind=SourceKind.EXTERNAL_TRAINING, source_ref="ext-2", earned_on=date(2025, 4, 1)).entry
    reverse_entry(wrong, reason="重复登记", actor=org.district_admin)
    return kept


def test_the_file_states_the_ledger_in_chinese(org, record):
    certificate = Certificate.objects.get(learner=org.teacher)
    with translation.override("zh-hans"):
        body, file_record = produce(org.teacher, produced_by=org.teacher)
    text = pdf_text(body)
    assert "教师培训档案" in text and "王秀英" in text and "T001" in text and "实验小学" in text
    assert "每年不少于80学时" in text and "五年360学时" in text and "2021-01-01" in text  # the cycles
    assert "信息技术应用能力提升" in text and HOSTILE_TITLE in text  # the markup is text, not formatting
    assert "撤销" in text and "重复登记" in text and "-4.0" in text  # the reversal shows as one
    assert certificate.code in text and file_record.code in text
    assert "学校（盖章）" in text and "区县培训机构（盖章）" in text
    assert f"/v/file/{file_record.code}/" in text
    file_record.refresh_from_db()
    assert file_record.total_hours == Decimal("8.0") and file_record.entry_count == 4 and len(file_record.sha256) == 64


def test_other_apps_add_sections_through_the_hook(org, record):
    def provider():
        return lambda learner: [Section("跟岗研修鉴定", ["基地校", "鉴定"], [["第一中学", "优秀<跟岗>"]])]

    with hooks.register_temporarily(TRAINING_FILE_SECTION_HOOK, provider), translation.override("zh-hans"):
        text = pdf_text(produce(org.teacher)[0])
    assert "跟岗研修鉴定" in text and "优秀<跟岗>" in text
    with translation.override("zh-hans"):
        assert "无记录" in pdf_text(produce(org.teacher)[0])


@pytest.mark.parametrize(("role", "status"), [
    ("teacher", 200), ("school_admin", 200), ("district_admin", 200), ("superuser", 200),
    ("sibling_teacher", 404), ("sibling_school_admin", 404), ("foreign_district_admin", 404), ("trainer", 404),
])
def test_who_may_download_a_teachers_file(client, org, record, role, status):
    client.force_login(getattr(org, role))
    response = client.get(f"/transcript/{org.teacher.pk}/file/")
    assert response.status_code == status
    if status == 200:
        assert response["Content-Type"] == "application/pdf" and "王秀英" in pdf_text(response.content)
    else:
        assert not TrainingFile.objects.exists()


def test_the_teacher_downloads_their_own_and_the_code_verifies(client, org, record):
    client.force_login(org.teacher)
    assert client.get("/transcript/file/").status_code == 200
    code = TrainingFile.objects.get(learner=org.teacher).code
    client.logout()
    page = client.get(f"/v/file/{code}/").content.decode()
    assert "王*英" in page and "王秀英" not in page and "8.0" in page
    assert client.get("/v/file/NOSUCHCODE/").status_code == 404


def test_a_school_downloads_every_teachers_file_as_one_job(org, record, settings,
                                                           django_capture_on_commit_callbacks):
    settings.SHIXUN_EXPORT_CHUNK_TEACHERS = 1
    make_teacher(org.school, full_name="李明", staff_number="T009")
    make_teacher(org.sibling_school, full_name="别校教师", staff_number="T010")
    scope = exports.Scope(district=org.district, school=org.school)
    with django_capture_on_commit_callbacks(execute=True):
        job, created = jobs.request_export(org.school_admin, scope, date(2026, 1, 1), date(2026, 12, 31), "files-zip")
    job.refresh_from_db()
    assert created and job.status == ExportJob.Status.DONE, job.error
    teachers = scope.teachers().count()  # the school's two teachers (its admin does not teach)
    assert job.total_count == job.done_count == teachers == 2 and job.percent == 100
    assert job.chunks.count() == 2  # one part per teacher here: the parts machinery ran
    with storages["private"].open(job.file, "rb") as stored:
        archive = zipfile.ZipFile(io.BytesIO(stored.read()))
    names = sorted(archive.namelist())
    assert len(names) == 2 and names[0].startswith("T001-") and names[1].startswith("T009-")
    with translation.override("zh-hans"):
        assert "王秀英" in pdf_text(archive.read(names[0]))
    assert "李明" in pdf_text(archive.read(names[1]))
    assert not any("T010" in name for name in names)  # another school's teacher
    assert TrainingFile.objects.filter(learner__shixun_profile__school=org.school).count() == 2


def test_a_long_record_costs_the_same_few_queries(org, django_assert_max_num_queries):
    """500 entries: the file reads the ledger in one query, whatever its length (time: bench, see the report)."""
    import time

    for n in range(500):
        post_entry(learner=org.teacher, hours=Decimal("1.5"), title=f"校本研修第{n}次",
                   source_kind=SourceKind.EXTERNAL_TRAINING, source_ref=f"long-{n}",
                   earned_on=date(2020 + n % 7, 1 + n % 12, 1 + n % 28))
    learner = type(org.teacher).objects.select_related("shixun_profile__school", "shixun_profile__district").get(
        pk=org.teacher.pk)
    with django_assert_max_num_queries(14):
        started = time.perf_counter()
        body, record = produce(learner)
        elapsed = time.perf_counter() - started
    pages = len(PdfReader(io.BytesIO(body)).pages)
    print(f"training file, 500 entries: {elapsed:.2f} s, {len(body) // 1024} KiB, {pages} pages")
    assert record.entry_count == 500
