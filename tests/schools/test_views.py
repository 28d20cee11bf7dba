"""The roster pages end to end through the client, reissuing first-login passwords, and who may open what."""

import pytest
from django.urls import reverse

from shixun.accounts.models import FirstLogin, User
from shixun.schools.models import RosterImport

CSV = "姓名,工号,手机,邮箱\n李明,T100,13912345678,\n张华,T101,,zhang@example.cn\n".encode("gb18030")


def upload(client, school, data=CSV, name="roster.csv"):
    from django.core.files.uploadedfile import SimpleUploadedFile

    return client.post(reverse("schools:roster", args=[school.code]), {"file": SimpleUploadedFile(name, data)})


def test_dry_run_then_import_then_print_passwords(client, org, mailoutbox, django_capture_on_commit_callbacks):
    client.force_login(org.school_admin)
    preview = upload(client, org.school)
    assert preview.status_code == 200
    plan = preview.context["plan"]
    assert plan.counts["create"] == 2 and not plan.has_errors
    assert not User.objects.filter(staff_number="T100").exists()  # the dry run wrote nothing
    token = preview.context["confirm_form"].initial["token"]

    with django_capture_on_commit_callbacks(execute=True):
        done = client.post(reverse("schools:roster_import", args=[org.school.code]), {"token": token})
    assert done.status_code == 200
    li = User.objects.get(staff_number="T100", district=org.district)
    assert li.school == org.school
    assert [m.to for m in mailoutbox] == [["zhang@example.cn"]]
    record = RosterImport.objects.get()
    sheet = client.get(reverse("schools:one_time_passwords", args=[org.school.code, record.pk]))
    (person, password), = sheet.context["rows"]
    assert person == li and li.check_password(password)
    assert password in sheet.content.decode()

    # The same token cannot import twice: the stored file is gone.
    again = client.post(reverse("schools:roster_import", args=[org.school.code]), {"token": token})
    assert again.status_code == 302
    assert User.objects.filter(staff_number="T100").count() == 1


def import_two_teachers(client, org, django_capture_on_commit_callbacks):
    client.force_login(org.school_admin)
    preview = upload(client, org.school, "姓名,工号\n李明,T100\n赵强,T101\n".encode())
    token = preview.context["confirm_form"].initial["token"]
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("schools:roster_import", args=[org.school.code]), {"token": token})
    record = RosterImport.objects.get()
    return reverse("schools:one_time_passwords", args=[org.school.code, record.pk])


def session_passwords(client):
    from shixun.schools.printable_passwords import SESSION_KEY

    return client.session.get(SESSION_KEY)


def test_printed_passwords_can_be_printed_again_then_are_purged(
    client, org, settings, django_capture_on_commit_callbacks
):
    from datetime import timedelta

    from django.utils import timezone

    settings.SHIXUN_ONE_TIME_PASSWORDS_MINUTES = 30
    url = import_two_teachers(client, org, django_capture_on_commit_callbacks)
    first = client.get(url)
    assert len(first.context["rows"]) == 2 and first["Cache-Control"] == "no-store"
    assert len(client.get(url).context["rows"]) == 2  # the printer jammed: print again

    # A teacher who has chosen their own password drops off the sheet and out of the session.
    li = User.objects.get(staff_number="T100", district=org.district)
    li.set_password("my own choice 2026")
    li.save()
    rows = client.get(url).context["rows"]
    assert [person.staff_number for person, _pw in rows] == ["T101"]
    assert [pk for pk, _pw in next(iter(session_passwords(client).values()))["pairs"]] == [rows[0][0].pk]

    # Past their time, any request of the admin's purges them; the sheet points to reissuing.
    later = timezone.now() + timedelta(minutes=31)
    from unittest import mock

    with mock.patch("shixun.schools.printable_passwords.timezone.now", return_value=later):
        client.get(reverse("schools:school_dashboard", args=[org.school.code]))
        assert session_passwords(client) is None
        sheet = client.get(url)
    assert sheet.context["rows"] == []
    assert reverse("schools:first_logins", args=[org.school.code]) in sheet.content.decode()


def test_printed_passwords_are_only_in_the_importing_admins_session(client, org, django_capture_on_commit_callbacks):
    url = import_two_teachers(client, org, django_capture_on_commit_callbacks)
    client.force_login(org.district_admin)  # may open the page, but holds no passwords
    assert client.get(url).context["rows"] == []
    client.force_login(org.school_admin)  # a new login is a new session: gone as well
    assert client.get(url).context["rows"] == []


def test_a_token_is_good_only_for_its_admin_and_school(client, org):
    client.force_login(org.school_admin)
    token = upload(client, org.school).context["confirm_form"].initial["token"]
    # Another admin of the same district, who may import into this school, still cannot use it.
    client.force_login(org.district_admin)
    response = client.post(reverse("schools:roster_import", args=[org.school.code]), {"token": token})
    assert response.status_code == 302 and not User.objects.filter(staff_number="T100").exists()
    client.force_login(org.school_admin)
    tampered = token[:-3] + ("aaa" if not token.endswith("aaa") else "bbb")
    response = client.post(reverse("schools:roster_import", args=[org.school.code]), {"token": tampered})
    assert response.status_code == 302 and not User.objects.filter(staff_number="T100").exists()


def test_file_errors_are_shown_on_the_form(client, org):
    client.force_login(org.school_admin)
    response = upload(client, org.school, b"just text", "notes.docx")
    assert response.status_code == 200
    assert "plan" not in response.context
    assert response.context["form"].errors["file"]


def test_a_reissued_password_replaces_the_lost_one(client, org):
    from shixun.accounts.first_login import issue_one_time_password

    first = issue_one_time_password(org.teacher)
    client.force_login(org.school_admin)
    response = client.post(reverse("schools:first_logins", args=[org.school.code]), {"person": [org.teacher.pk]})
    (person, second), = response.context["rows"]
    org.teacher.refresh_from_db()
    assert second != first and org.teacher.check_password(second) and not org.teacher.check_password(first)
    # Someone else's teacher cannot be reissued through this school's page.
    issue_one_time_password(org.sibling_teacher)
    url = reverse("schools:first_logins", args=[org.school.code])
    response = client.post(url, {"person": [org.sibling_teacher.pk]})
    assert response.status_code == 302
    org.sibling_teacher.refresh_from_db()
    assert FirstLogin.objects.get(user=org.sibling_teacher).password_at_issue == org.sibling_teacher.password


# --- Permission matrix ---------------------------------------------------------------

SCHOOL_PAGES = ["schools:school_dashboard", "schools:roster", "schools:roster_template", "schools:first_logins"]


@pytest.mark.parametrize("page", SCHOOL_PAGES)
@pytest.mark.parametrize(
    "who,school,allowed",
    [
        ("school_admin", "school", True),
        ("school_admin", "sibling_school", False),
        ("school_admin", "foreign_school", False),
        ("district_admin", "school", True),
        ("district_admin", "sibling_school", True),
        ("district_admin", "foreign_school", False),
        ("foreign_district_admin", "school", False),
        ("teacher", "school", False),
        ("trainer", "school", False),
        ("superuser", "foreign_school", True),
    ],
)
def test_school_pages_matrix(client, org, page, who, school, allowed):
    client.force_login(getattr(org, who))
    response = client.get(reverse(page, args=[getattr(org, school).code]))
    assert response.status_code == (200 if allowed else 403)


@pytest.mark.parametrize(
    "who,district,allowed",
    [
        ("district_admin", "district", True),
        ("district_admin", "other_district", False),
        ("foreign_district_admin", "other_district", True),
        ("school_admin", "district", False),
        ("teacher", "district", False),
    ],
)
def test_district_dashboard_matrix(client, org, who, district, allowed):
    client.force_login(getattr(org, who))
    response = client.get(reverse("schools:district_dashboard", args=[getattr(org, district).code]))
    assert response.status_code == (200 if allowed else 403)


def test_school_dashboard_lists_only_its_own_people(client, org):
    client.force_login(org.district_admin)
    page = client.get(reverse("schools:school_dashboard", args=[org.school.code])).content.decode()
    assert org.teacher.full_name in page
    assert reverse("transcripts:person", args=[org.teacher.pk]) in page
    assert reverse("transcripts:person", args=[org.sibling_teacher.pk]) not in page
    assert reverse("transcripts:person", args=[org.foreign_teacher.pk]) not in page


def test_anonymous_is_sent_to_login(client, org):
    response = client.get(reverse("schools:school_dashboard", args=[org.school.code]))
    assert response.status_code == 302 and reverse("accounts:login") in response.url


def test_state_changing_pages_refuse_get(client, org):
    client.force_login(org.school_admin)
    assert client.get(reverse("schools:roster_import", args=[org.school.code])).status_code == 405

