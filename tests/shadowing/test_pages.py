"""Every shadowing page opened by each role that may open it; foreign roles get 404; forms post through services."""

import csv
import io
import zipfile

import pytest
from django.urls import reverse

from shixun.shadowing import services
from shixun.shadowing.models import JournalDay, Observation, Participant

from .test_services import APPRAISAL, JOURNAL, png_file

pytestmark = pytest.mark.django_db

# The session, the user, the participation, the seven kinds of record, and what each role checks besides.
WORKSPACE_QUERIES = {"teacher": 12, "mentor": 12, "base_admin": 13, "district_admin": 13}


def client_for(client, user):
    client.force_login(user)
    return client


def roles(s):
    o = s.org
    return {
        "teacher": o.teacher, "mentor": s.mentor, "base_admin": s.base_admin, "nominating_admin": o.school_admin,
        "district_admin": o.district_admin, "other_mentor": s.other_mentor, "sibling_teacher": o.sibling_teacher,
        "foreign_district_admin": o.foreign_district_admin, "other_teacher": s.other_teacher,
    }


@pytest.mark.parametrize("role,status", [
    ("teacher", 200), ("mentor", 200), ("base_admin", 200), ("nominating_admin", 200), ("district_admin", 200),
    ("other_mentor", 404), ("sibling_teacher", 404), ("foreign_district_admin", 404), ("other_teacher", 404),
])
def test_workspace_per_role(client, shadow, role, status):
    response = client_for(client, roles(shadow)[role]).get(reverse("shadowing:workspace", args=[shadow.participant.pk]))
    assert response.status_code == status
    if status == 200:
        assert "听课" in response.content.decode()


def test_teacher_workspace_shows_counters_and_entry_forms(client, shadow):
    for _ in range(2):
        services.add_observation(shadow.org.teacher, shadow.participant, day=shadow.day, class_name="四(2)班",
                                 subject="语文", observed_teacher="李导师", notes="好")
    page = client_for(client, shadow.org.teacher).get(reverse("shadowing:workspace", args=[shadow.participant.pk]))
    html = page.content.decode()
    assert "2/20" in html and "听课" in html and 'data-draft-key' in html and "<script>" not in html
    assert 'name="score"' not in html  # mentor's form not shown to the teacher


def test_mentor_sees_mentor_forms_and_base_admin_does_not(client, shadow):
    url = reverse("shadowing:workspace", args=[shadow.participant.pk])
    assert 'name="score"' in client_for(client, shadow.mentor).get(url).content.decode()
    assert 'name="score"' not in client_for(client, shadow.base_admin).get(url).content.decode()


@pytest.mark.parametrize("role,status", [
    ("district_admin", 200), ("base_admin", 200), ("nominating_admin", 200),
    ("foreign_district_admin", 404), ("mentor", 404), ("teacher", 404),
])
def test_programme_page_per_role(client, shadow, role, status):
    response = client_for(client, roles(shadow)[role]).get(reverse("shadowing:programme", args=[shadow.programme.pk]))
    assert response.status_code == status
    if status == 200:
        assert "导师工作量" in response.content.decode()


def test_home_and_mentor_pages(client, shadow):
    assert client_for(client, shadow.mentor).get(reverse("shadowing:mentor")).status_code == 200
    html = client.get(reverse("shadowing:mentor")).content.decode()
    assert shadow.org.teacher.shixun_profile.full_name in html
    assert shadow.other_teacher.shixun_profile.full_name not in html
    response = client_for(client, shadow.org.teacher).get(reverse("shadowing:home"))
    assert response.status_code == 302 and response["Location"].endswith(f"/p/{shadow.participant.pk}/")
    for user in (shadow.org.district_admin, shadow.base_admin, shadow.org.school_admin, shadow.org.sibling_teacher):
        assert client_for(client, user).get(reverse("shadowing:home")).status_code == 200


def test_anonymous_goes_to_login(client, shadow):
    for url in (reverse("shadowing:home"), reverse("shadowing:workspace", args=[shadow.participant.pk]),
                reverse("shadowing:form_pdf", args=[shadow.participant.pk, "appraisal"])):
        assert client.get(url).status_code == 302


def test_journal_posted_and_refusal_keeps_text(client, shadow):
    c = client_for(client, shadow.org.teacher)
    url = reverse("shadowing:record", args=[shadow.participant.pk, "journal"])
    response = c.post(url, {"day": shadow.day.isoformat(), "text": JOURNAL})
    assert response.status_code == 302 and "saved=journal" in response["Location"]
    assert "data-draft-clear" in c.get(response["Location"]).content.decode()
    response = c.post(url, {"day": "2001-01-01", "text": "我写的内容很多很多" * 10})
    assert response.status_code == 400
    html = response.content.decode()
    assert "日期须在研修期间" in html and "我写的内容很多很多" in html
    assert JournalDay.objects.count() == 1


def test_observation_with_photo_and_file_download_permission(client, shadow):
    c = client_for(client, shadow.org.teacher)
    response = c.post(reverse("shadowing:record", args=[shadow.participant.pk, "observation"]), {
        "day": shadow.day.isoformat(), "class_name": "四(2)班", "subject": "语文", "observed_teacher": "李导师",
        "notes": "提问设计好", "photo": png_file(),
    })
    assert response.status_code == 302
    record = Observation.objects.get()
    url = reverse("shadowing:record_file", args=[shadow.participant.pk, "photo", record.pk])
    assert c.get(url).status_code == 200
    assert client_for(client, shadow.mentor).get(url).status_code == 200
    assert client_for(client, shadow.other_mentor).get(url).status_code == 404
    # Reached through another participation the viewer may see: still not found.
    other_url = reverse("shadowing:record_file", args=[shadow.other.pk, "photo", record.pk])
    assert client_for(client, shadow.org.district_admin).get(other_url).status_code == 404


def test_mentor_posts_and_foreign_mentor_gets_404(client, shadow):
    url = reverse("shadowing:record", args=[shadow.participant.pk, "appraisal"])
    assert client_for(client, shadow.other_mentor).post(url, {"score": "90", "appraisal": APPRAISAL}).status_code == 404
    assert client_for(client, shadow.mentor).post(url, {"score": "90", "appraisal": APPRAISAL}).status_code == 302
    # A base school admin may look but not appraise: told so, nothing written.
    response = client_for(client, shadow.base_admin).post(url, {"score": "10", "appraisal": APPRAISAL})
    assert response.status_code == 403 and "导师" in response.content.decode()
    assert Participant.objects.get(pk=shadow.participant.pk).score == 90


def test_unknown_form_is_404(client, shadow):
    url = reverse("shadowing:record", args=[shadow.participant.pk, "delete-everything"])
    assert client_for(client, shadow.org.teacher).post(url).status_code == 404


def test_get_never_changes_anything(client, shadow):
    url = reverse("shadowing:record", args=[shadow.participant.pk, "journal"])
    assert client_for(client, shadow.org.teacher).get(url).status_code == 405
    assert client_for(client, shadow.org.district_admin).get(
        reverse("shadowing:close", args=[shadow.programme.pk])).status_code == 405


def test_exports_neutralise_formulas_and_are_scoped(client, shadow):
    profile = shadow.org.teacher.shixun_profile
    profile.full_name = "=HYPERLINK(\"http://x\")"
    profile.save()
    c = client_for(client, shadow.org.district_admin)
    response = c.get(reverse("shadowing:export", args=[shadow.programme.pk, "csv"]))
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert rows[0][1] == "推荐学校" and any(r[0] == "'=HYPERLINK(\"http://x\")" for r in rows[1:])
    assert any("0/20" in cell for cell in rows[1])
    response = c.get(reverse("shadowing:export", args=[shadow.programme.pk, "xlsx"]))
    sheet = zipfile.ZipFile(io.BytesIO(response.content)).read("xl/worksheets/sheet1.xml").decode()
    assert "<f>" not in sheet and "'=HYPERLINK" in sheet
    assert client_for(client, shadow.org.foreign_district_admin).get(
        reverse("shadowing:export", args=[shadow.programme.pk, "csv"])).status_code == 404
    assert c.get(reverse("shadowing:export", args=[shadow.programme.pk, "exe"])).status_code == 404


def test_nominate_page_for_school_admin(client, shadow):
    from tests.factories import make_teacher

    newcomer = make_teacher(shadow.org.school, username="newcomer")
    c = client_for(client, shadow.org.school_admin)
    url = reverse("shadowing:nominate", args=[shadow.programme.pk])
    assert c.get(url).status_code == 200
    response = c.post(url, {"teacher": newcomer.pk, "stage": "primary", "subject": shadow.subject.pk,
                            "birth_date": "1990-01-01"})
    assert response.status_code == 400 and "名额" in response.content.decode()
    response = c.post(url, {"teacher": newcomer.pk, "stage": "senior", "subject": shadow.subject.pk,
                            "birth_date": "1990-01-01"})
    assert response.status_code == 302 and Participant.objects.filter(teacher=newcomer).exists()
    assert client_for(client, shadow.org.teacher).get(url).status_code == 404


def test_place_page_for_base_admin_and_district(client, shadow):
    url = reverse("shadowing:place", args=[shadow.programme.pk, shadow.base.pk])
    assert client_for(client, shadow.base_admin).get(url).status_code == 200
    assert client_for(client, shadow.org.district_admin).get(url).status_code == 200
    assert client_for(client, shadow.org.school_admin).get(url).status_code == 404
    response = client_for(client, shadow.base_admin).post(
        url, {"participant": shadow.other.pk, "mentor": shadow.mentor.pk}
    )
    assert response.status_code == 302
    assert Participant.objects.get(pk=shadow.other.pk).mentor_id == shadow.mentor.pk


def test_district_closes_through_the_page(client, shadow):
    c = client_for(client, shadow.org.district_admin)
    response = c.post(reverse("shadowing:close", args=[shadow.programme.pk]), follow=True)
    assert "结束日之后" in response.content.decode()


def test_leave_asked_on_the_page_and_approved_by_mentor_and_base_school(client, shadow):
    from shixun.shadowing.models import Leave

    c = client_for(client, shadow.org.teacher)
    ask = c.post(reverse("shadowing:record", args=[shadow.participant.pk, "leave"]),
                 {"day": shadow.day.isoformat(), "reason": "参加区里的教研活动"})
    assert ask.status_code == 302
    leave = Leave.objects.get()
    url = reverse("shadowing:record", args=[shadow.participant.pk, "approve_leave"])
    workspace = reverse("shadowing:workspace", args=[shadow.participant.pk])
    assert "批准" in client_for(client, shadow.mentor).get(workspace).content.decode()
    assert client.post(url, {"leave_id": leave.pk}).status_code == 302
    # The nominating school may look, not approve.
    refused = client_for(client, shadow.org.school_admin).post(url, {"leave_id": leave.pk})
    assert refused.status_code == 403
    assert client_for(client, shadow.base_admin).post(url, {"leave_id": leave.pk}).status_code == 302
    leave.refresh_from_db()
    assert leave.approved and leave.mentor_approved_by == shadow.mentor
    assert leave.school_approved_by == shadow.base_admin



def _without_csrf(page: str) -> str:
    import re

    return re.sub(r'(name="csrfmiddlewaretoken" value=|data-csrf-token=)"[^"]*"', r'\1""', page)


@pytest.mark.parametrize("role", ["teacher", "mentor", "base_admin", "district_admin"])
def test_the_workspace_counts_what_it_lists_and_shows_what_grouped_counts_showed(
    client, shadow, role, monkeypatch, django_assert_num_queries
):
    """The workspace's targets and absences come from the rows it lists (services.counts_of_records): the page
    is byte for byte what it was with the grouped counts, with 8 queries fewer (no counts on top of the rows)."""
    from .test_services import _records_of_every_kind

    _records_of_every_kind(shadow)
    viewer = client_for(client, roles(shadow)[role])
    url = reverse("shadowing:workspace", args=[shadow.participant.pk])
    viewer.get(url)
    with django_assert_num_queries(WORKSPACE_QUERIES[role]):
        page = viewer.get(url).content.decode()
    assert "2 days of unexcused absence" in page or "2 天" in page
    monkeypatch.setattr(services, "counts_of_records", lambda records: services.counts_for([shadow.participant])[
        shadow.participant.pk])
    monkeypatch.setattr(services, "unexcused_of_records", lambda records: services.unexcused_for(
        [shadow.participant])[shadow.participant.pk])
    with django_assert_num_queries(WORKSPACE_QUERIES[role] + 8):
        grouped = viewer.get(url).content.decode()
    assert _without_csrf(page) == _without_csrf(grouped)
