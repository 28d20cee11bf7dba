"""The printable forms read back with their Chinese text, per role."""

import io

import pytest
from django.urls import reverse
from pypdf import PdfReader

from shixun.shadowing import services

from .test_services import APPRAISAL

pytestmark = pytest.mark.django_db


def pdf_text(content: bytes) -> list[str]:
    return [page.extract_text() for page in PdfReader(io.BytesIO(content)).pages]


def test_appraisal_form_three_marked_copies_with_signature_and_stamp(client, shadow):
    services.record_attendance(shadow.mentor, shadow.participant, day=shadow.day, status="present")
    services.appraise(shadow.mentor, shadow.participant, score="88", appraisal=APPRAISAL)
    client.force_login(shadow.mentor)
    response = client.get(reverse("shadowing:form_pdf", args=[shadow.participant.pk, "appraisal"]))
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    pages = pdf_text(response.content)
    assert len(pages) == 3
    for page, copy in zip(pages, ("局存", "培训学校存", "本人存"), strict=True):
        assert copy in page and "考核登记表" in page and "王秀英" in page
        assert "导师签名" in page and "盖章" in page and "88" in page and "出勤1天" in page
        assert "出勤全勤" in page  # the written appraisal
    assert b"/FontFile2" in response.content  # the Chinese TrueType font is embedded, not referenced


def test_enrolment_and_information_forms(client, shadow):
    client.force_login(shadow.org.school_admin)  # the nominating school prints them
    enrolment = pdf_text(client.get(reverse("shadowing:form_pdf", args=[shadow.participant.pk, "enrolment"])).content)
    assert len(enrolment) == 2 and "报名表" in enrolment[0] and "推荐学校存" in enrolment[0]
    assert "王秀英" in enrolment[1] and "实验小学" in enrolment[1] and "语文" in enrolment[1]
    info = pdf_text(client.get(reverse("shadowing:form_pdf", args=[shadow.participant.pk, "information"])).content)
    assert "个人信息登记表" in info[0] and "T001" in info[0] and "1990年5月1日" in info[0]


@pytest.mark.parametrize("role,status", [
    ("teacher", 200), ("base_admin", 200), ("district_admin", 200), ("other_mentor", 404),
    ("foreign_district_admin", 404),
])
def test_forms_per_role(client, shadow, role, status):
    from .test_pages import roles

    client.force_login(roles(shadow)[role])
    assert client.get(reverse("shadowing:form_pdf", args=[shadow.participant.pk, "appraisal"])).status_code == status


def test_unknown_form_404(client, shadow):
    client.force_login(shadow.org.teacher)
    assert client.get(reverse("shadowing:form_pdf", args=[shadow.participant.pk, "secret"])).status_code == 404
