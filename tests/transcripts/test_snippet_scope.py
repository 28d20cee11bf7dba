"""A trainer configures grading only for the courses they teach (the Wagtail snippet)."""

from decimal import Decimal

import pytest

from shixun.accounts.models import Role
from shixun.transcripts.models import CourseCreditSettings
from tests.factories import make_user
from tests.transcripts.helpers import make_course

BASE = "/admin/snippets/shixun_transcripts/coursecreditsettings/"


@pytest.fixture
def two_courses(org):
    mine, _ = make_course(hours=("1.0",), title="我教的课")
    mine.trainers.add(org.trainer)
    mine.save()
    theirs, _ = make_course(hours=("1.0",), title="别人教的课")
    org.other_trainer = make_user(district=org.district, roles=[Role.TRAINER], username="trainer-b")
    theirs.trainers.add(org.other_trainer)
    theirs.save()
    return (
        CourseCreditSettings.objects.create(course=mine, pass_mark=Decimal("60")),
        CourseCreditSettings.objects.create(course=theirs, pass_mark=Decimal("70")),
    )


def settings_form(course, mark="65"):
    return {
        "course": course.pk,
        "pass_mark": mark,
        "void_at_absent_days": "",
        "award_hours": "0",
        "issuer": "",
        "components-TOTAL_FORMS": "0",
        "components-INITIAL_FORMS": "0",
        "components-MIN_NUM_FORMS": "0",
        "components-MAX_NUM_FORMS": "1000",
    }


def test_the_list_shows_only_the_trainers_courses(org, client, two_courses):
    client.force_login(org.trainer)
    text = client.get(BASE).content.decode()
    assert "我教的课" in text and "别人教的课" not in text
    client.force_login(org.superuser)
    text = client.get(BASE).content.decode()
    assert "我教的课" in text and "别人教的课" in text


def test_another_trainers_settings_cannot_be_opened_or_changed(org, client, two_courses):
    mine, theirs = two_courses
    client.force_login(org.trainer)
    assert client.get(f"{BASE}edit/{mine.pk}/").status_code == 200
    assert client.get(f"{BASE}edit/{theirs.pk}/").status_code == 404
    assert client.post(f"{BASE}edit/{theirs.pk}/", settings_form(theirs.course, "10")).status_code == 404
    assert client.get(f"{BASE}copy/{theirs.pk}/").status_code == 404
    assert client.get(f"{BASE}history/{theirs.pk}/").status_code == 404
    theirs.refresh_from_db()
    assert theirs.pass_mark == Decimal("70")
    client.force_login(org.superuser)
    assert client.get(f"{BASE}edit/{theirs.pk}/").status_code == 200


def test_create_offers_and_accepts_only_taught_courses(org, client):
    mine, _ = make_course(hours=("1.0",), title="我教的新课")
    mine.trainers.add(org.trainer)
    mine.save()
    theirs, _ = make_course(hours=("1.0",), title="别人的新课")
    client.force_login(org.trainer)
    assert client.get(f"{BASE}add/").status_code == 200
    # The course field is a page chooser, which browses every page: the form refuses the others.
    response = client.post(f"{BASE}add/", settings_form(theirs))
    text = response.content.decode()
    assert response.status_code == 200 and ("有效的选项" in text or "所教课程" in text)
    assert not CourseCreditSettings.objects.filter(course=theirs).exists()
    response = client.post(f"{BASE}add/", settings_form(mine))
    assert response.status_code == 302
    assert CourseCreditSettings.objects.get(course=mine).pass_mark == Decimal("65")


def test_a_trainer_cannot_move_their_settings_to_another_course(org, client, two_courses):
    mine, theirs = two_courses
    other_course, _ = make_course(hours=("1.0",), title="无人教的课")
    client.force_login(org.trainer)
    response = client.post(f"{BASE}edit/{mine.pk}/", settings_form(other_course))
    assert response.status_code == 200
    mine.refresh_from_db()
    assert mine.course_id != other_course.pk
