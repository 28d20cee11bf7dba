"""Who may download a learner's file, across roles, two schools and two districts."""

from urllib.parse import quote

import pytest
from django.urls import reverse

from shixun.accounts.models import Role
from shixun.assessments.assignments.permissions import can_view_submission
from tests.factories import make_user
from tests.uploads import samples

from .conftest import post_hand_in, submission_of, upload

pytestmark = pytest.mark.django_db

FILE_NAME = "第一课 教学设计.pdf"


@pytest.fixture
def handed_in(client, org, setup):
    """A PDF handed in by org.teacher (school s-one, district d-main) and one by org.foreign_teacher."""
    versions = {}
    for teacher in (org.teacher, org.foreign_teacher):
        client.force_login(teacher)
        post_hand_in(client, setup.module, setup.assignment, file=upload(FILE_NAME, samples.pdf()))
        versions[teacher.username] = submission_of(teacher, setup).current_version
    client.logout()
    return versions


# (user attribute on `org`, may download org.teacher's file, may download org.foreign_teacher's file)
MATRIX = [
    ("teacher", True, False),
    ("sibling_teacher", False, False),
    ("foreign_teacher", False, True),
    ("school_admin", True, False),
    ("sibling_school_admin", False, False),
    ("district_admin", True, False),
    ("foreign_district_admin", False, True),
    ("trainer", True, True),  # org.trainer teaches the course
    ("reviewer", True, True),
    ("superuser", True, True),
]


@pytest.mark.parametrize("who, own_school, foreign_school", MATRIX)
def test_download_is_allowed_exactly_to_the_right_people(client, org, handed_in, who, own_school, foreign_school):
    client.force_login(getattr(org, who))
    for version, allowed in ((handed_in["teacher"], own_school), (handed_in["foreign"], foreign_school)):
        response = client.get(reverse("assignments:download", args=[version.pk]))
        assert response.status_code == (200 if allowed else 403), (who, version)
        if allowed:
            assert b"".join(response.streaming_content) == samples.pdf()


def test_a_trainer_of_another_course_gets_nothing(client, org, handed_in):
    stranger = make_user(district=org.district, roles=[Role.TRAINER], username="other-trainer")
    client.force_login(stranger)
    assert client.get(reverse("assignments:download", args=[handed_in["teacher"].pk])).status_code == 403
    assert client.get(reverse("assignments:review", args=[handed_in["teacher"].submission_id])).status_code == 403
    queue = client.get(reverse("assignments:review_queue"), {"status": ""})
    assert queue.status_code == 200 and "王秀英" not in queue.content.decode()


def test_anonymous_visitors_are_sent_to_log_in(client, handed_in):
    response = client.get(reverse("assignments:download", args=[handed_in["teacher"].pk]))
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_an_inactive_owner_loses_access(org, handed_in):
    org.teacher.is_active = False
    assert not can_view_submission(org.teacher, handed_in["teacher"].submission)


def test_download_is_an_attachment_with_a_chinese_name_and_no_sniffing(client, org, handed_in):
    client.force_login(org.teacher)
    response = client.get(reverse("assignments:download", args=[handed_in["teacher"].pk]))
    disposition = response["Content-Disposition"]
    assert disposition.startswith("attachment;")
    assert f"filename*=utf-8''{quote(FILE_NAME)}" in disposition  # RFC 5987
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Content-Type"] == "application/pdf"
    assert "no-store" in response["Cache-Control"]


def test_private_files_have_no_url(handed_in):
    with pytest.raises(ValueError):
        handed_in["teacher"].file.url  # noqa: B018
