"""The two pages anyone may open: certificate verification and the one-click unsubscribe link."""

from __future__ import annotations

import pytest
from django.urls import reverse

from shixun.schools.reminders import DIGEST, WEEKLY, unsubscribe_token

from .state import changes, database_state

pytestmark = pytest.mark.django_db


def test_verification_shows_what_the_certificate_certifies_and_nothing_else_about_the_person(client, world):
    certificate = world.certificate
    response = client.get(reverse("transcripts:verify", args=[certificate.code]))
    assert response.status_code == 200
    content = response.content.decode()
    # What it may show: validity, a masked name, the course, hours, dates, issuer, code.
    assert "王*英" in content
    assert certificate.course_title in content and certificate.code in content and certificate.issuer in content
    # Nothing else about the person.
    teacher = world.teacher
    for private in (teacher.full_name, teacher.staff_number, teacher.phone, teacher.email, teacher.username,
                    world.school.name):
        assert f">{private}<" not in content and f" {private} " not in content, private
    assert teacher.full_name not in content and teacher.phone not in content and teacher.email not in content
    assert world.school.name not in content
    if certificate.score is not None:
        assert f"{certificate.score}" not in content
    assert response["X-Robots-Tag"] == "noindex"
    assert response["Referrer-Policy"] == "no-referrer"


def test_verification_of_an_unknown_or_guessed_code_reveals_nothing(client, world):
    for code in ("AAAAAAAA", world.certificate.code[:-1], f"{world.certificate.code}' OR '1'='1"):
        response = client.get(reverse("transcripts:verify", args=[code]))
        assert response.status_code == 404
        assert world.teacher.full_name not in response.content.decode()
        assert world.certificate.course_title not in response.content.decode()


def test_a_signed_in_visitor_sees_the_same_verification_page(client, world):
    """Being logged in (as anyone) adds nothing to what the page tells about the holder."""
    client.force_login(world.foreign_district_admin)
    content = client.get(reverse("transcripts:verify", args=[world.certificate.code])).content.decode()
    assert world.teacher.full_name not in content and world.school.name not in content


def test_unsubscribe_asks_on_get_and_acts_only_on_post(client, world):
    from shixun.schools.models import ReminderPreference

    token = unsubscribe_token(world.teacher, WEEKLY)
    before = database_state()
    page = client.get(reverse("schools:unsubscribe", args=[token]))
    assert page.status_code == 200
    assert changes(before, database_state()) == {}  # a link scanner opening the mail changes nothing
    content = page.content.decode()
    assert world.teacher.full_name not in content and world.teacher.email not in content

    done = client.post(reverse("schools:unsubscribe", args=[token]))
    assert done.status_code == 200
    preference = ReminderPreference.objects.get(user=world.teacher)
    assert preference.weekly_reminders is False and preference.monthly_digest is True


@pytest.mark.parametrize(
    "make_token",
    [
        lambda w: unsubscribe_token(w.teacher, WEEKLY)[:-3] + "abc",
        lambda w: unsubscribe_token(w.teacher, WEEKLY).replace(":", ";", 1),
        lambda w: "not-a-token",
        lambda w: unsubscribe_token(w.teacher, "everything"),
    ],
    ids=["signature", "payload", "garbage", "unknown-kind"],
)
def test_an_altered_unsubscribe_link_changes_nothing(client, world, make_token):
    before = database_state()
    response = client.post(reverse("schools:unsubscribe", args=[make_token(world)]))
    assert response.status_code == 400
    assert changes(before, database_state()) == {}


def test_an_unsubscribe_link_is_for_one_person_and_one_list(client, world):
    from shixun.schools.models import ReminderPreference

    client.post(reverse("schools:unsubscribe", args=[unsubscribe_token(world.school_admin, DIGEST)]))
    assert not ReminderPreference.objects.filter(user=world.teacher).exists()
    admin = ReminderPreference.objects.get(user=world.school_admin)
    assert admin.monthly_digest is False and admin.weekly_reminders is True


@pytest.mark.parametrize("target", ["https://evil.example/", "//evil.example/", "/\\evil.example/"])
def test_login_and_language_switch_never_redirect_off_the_site(client, world, target):
    from tests.factories import PASSWORD

    response = client.post(reverse("accounts:login"), {"username": world.teacher.username, "password": PASSWORD,
                                                        "next": target})
    assert response.status_code == 302
    assert "evil.example" not in response["Location"]
    switched = client.post(reverse("set_language"), {"language": "en", "next": target})
    assert "evil.example" not in switched.get("Location", "")


def test_a_roster_preview_token_is_good_only_for_the_admin_and_school_it_was_made_for(client, world):
    from django.core.files.uploadedfile import SimpleUploadedFile

    csv_data = "\ufeff姓名,工号\n周杰,T0500\n".encode()
    client.force_login(world.school_admin)
    preview = client.post(reverse("schools:roster", args=[world.school.code]),
                          {"file": SimpleUploadedFile("名单.csv", csv_data)})
    token = preview.context["confirm_form"].initial["token"]
    for admin, school in ((world.district_admin, world.school), (world.district_admin, world.sibling_school),
                          (world.sibling_school_admin, world.sibling_school)):
        client.force_login(admin)
        before = database_state()
        response = client.post(reverse("schools:roster_import", args=[school.code]), {"token": token})
        assert response.status_code == 302
        assert changes(before, database_state()) == {}
    client.force_login(world.school_admin)
    assert client.post(reverse("schools:roster_import", args=[world.school.code]), {"token": token}).status_code == 200
    assert world.teacher.__class__.objects.filter(staff_number="T0500", school=world.school).exists()


@pytest.mark.parametrize("role", ["anonymous", "teacher"])
def test_the_public_and_own_pages_write_nothing_on_get(client, world, role):
    """The URLs outside the matrix (landing, login, password reset, verification, language): a GET is only a read."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from .state import writes
    from .test_csrf import PUBLIC_TARGETS

    if role != "anonymous":
        client.force_login(world.role(role))
    for name, (url, _poster) in sorted(PUBLIC_TARGETS.items()):
        with CaptureQueriesContext(connection) as queries:
            response = client.get(url(world))
        assert response.status_code < 500, (name, response.status_code)
        assert writes(queries) == [], f"GET {name} as {role} wrote to the database"
