"""Personal data: every relation to a person is accounted for; export and erasure do what they say."""

import json
from datetime import date
from decimal import Decimal

import pytest
from django.contrib.admin.models import CHANGE, LogEntry
from django.contrib.contenttypes.models import ContentType
from django.core.files.base import ContentFile
from django.core.files.storage import storages
from django.urls import reverse
from django.utils import timezone

from shixun.accounts.models import FirstLogin, User
from shixun.schools import personal_data
from shixun.schools.models import ErasureRecord, ExportJob

NOW = timezone.now()


def test_every_relation_to_a_person_is_registered():
    """Fails when someone adds a model that refers to a user without saying how it is exported and erased."""
    missing = personal_data.relations_to_person() - personal_data.registered_relations()
    assert not missing, (
        "Register these in a personal_data registration (export and erase, or keep with a reason): "
        + ", ".join(f"{model}.{field}" for model, field in sorted(missing))
    )


@pytest.mark.django_db
def test_every_registration_names_a_real_field_and_a_decision(org):
    for registration in personal_data.registrations():
        registration.queryset(org.teacher).exists()  # raises FieldError for a stale field name
        assert registration.keep_reason or (registration.export and registration.erase), registration


def test_a_registration_must_decide():
    with pytest.raises(personal_data.RegistrationError):
        personal_data.register("shixun_accounts.FirstLogin", "user", export=personal_data.rows())


def test_unknown_models_are_skipped():
    assert personal_data.register("shixun_schools.NoSuchModel", "user", keep_reason="x") is None


def post_credit(teacher, hours="10"):
    from shixun.transcripts.ledger import post_entry
    from shixun.transcripts.models import SourceKind

    return post_entry(
        learner=teacher, hours=Decimal(hours), title="校本研修", source_kind=SourceKind.EXTERNAL_TRAINING,
        source_ref=f"pd-{teacher.pk}-{hours}", earned_on=date(2026, 3, 1),
    ).entry


def test_export_holds_profile_credit_and_more(org):
    from shixun.accounts.first_login import issue_one_time_password

    issue_one_time_password(org.teacher)
    entry = post_credit(org.teacher)
    data = personal_data.export_person(org.teacher)
    json.dumps(data)  # machine-readable as it stands
    profile = data["data"]["shixun_accounts.User"]["pk"][0]
    assert profile["full_name"] == "王秀英" and profile["staff_number"] == "T001"
    assert [e["id"] for e in data["data"]["shixun_transcripts.LedgerEntry"]["learner"]] == [entry.pk]
    first_login = data["data"]["shixun_accounts.FirstLogin"]["user"][0]
    assert "password_at_issue" not in first_login
    # Nobody else's data.
    assert org.sibling_teacher.shixun_profile.full_name not in json.dumps(data, ensure_ascii=False)


def test_teacher_downloads_their_own_file(client, org):
    client.force_login(org.teacher)
    response = client.get(reverse("schools:my_data"))
    assert response.status_code == 200 and response["Content-Disposition"].startswith("attachment")
    assert json.loads(response.content)["person_id"] == org.teacher.pk


def test_erasure_removes_identity_everywhere_and_keeps_credit(org, django_capture_on_commit_callbacks, client):
    from django_q.models import Task
    from wagtail.users.models import UserProfile

    from shixun.accounts.first_login import issue_one_time_password

    person = org.teacher
    issue_one_time_password(person)
    entry = post_credit(person)
    UserProfile.objects.create(user=person)
    private = storages["private"]
    export_file = private.save("exports/test/file.csv", ContentFile(b"secret"))
    ExportJob.objects.create(
        requested_by=person, district=org.district, start=date(2026, 1, 1), end=date(2026, 2, 1), format="csv",
        fingerprint="x", status=ExportJob.Status.DONE, file=export_file,
    )
    mentions = Task.objects.create(
        id="a" * 32, name="remind", func="shixun.schools.tasks.remind", args=("王秀英", person.email),
        kwargs={}, started=NOW, stopped=NOW, success=True,
    )
    by_id = Task.objects.create(
        id="b" * 32, name="remind2", func="shixun.schools.tasks.remind", args=(), kwargs={"user_id": person.pk},
        started=NOW, stopped=NOW, success=True,
    )
    unrelated = Task.objects.create(
        id="c" * 32, name="other", func="x.y", args=(org.sibling_teacher.shixun_profile.full_name,), kwargs={},
        started=NOW, stopped=NOW, success=True,
    )
    LogEntry.objects.create(
        user=org.district_admin, content_type=ContentType.objects.get_for_model(User), object_id=str(person.pk),
        object_repr="王秀英", action_flag=CHANGE,
    )
    client.force_login(person)  # a live session

    with django_capture_on_commit_callbacks(execute=True):
        personal_data.erase_person(person, erased_by=org.district_admin)

    shell = User.objects.get(pk=person.pk)
    assert shell.shixun_profile.full_name == f"已删除用户 #{person.pk}"
    assert (shell.email, shell.shixun_profile.phone, shell.shixun_profile.staff_number) == ("", "", "")
    assert shell.username != "teacher" and not shell.is_active and not shell.has_usable_password()
    # Credit kept, still pointing at the (now anonymous) row: no UPDATE of the ledger was needed.
    from shixun.transcripts.models import LedgerEntry

    assert LedgerEntry.objects.get(pk=entry.pk).learner_id == person.pk
    assert not FirstLogin.objects.filter(user=person).exists()
    assert not UserProfile.objects.filter(user=person).exists()
    assert not ExportJob.objects.filter(requested_by=person).exists() and not private.exists(export_file)
    assert set(Task.objects.values_list("pk", flat=True)) == {unrelated.pk}
    assert mentions.pk and by_id.pk
    assert LogEntry.objects.get(object_id=str(person.pk)).object_repr == f"已删除用户 #{person.pk}"
    assert client.get(reverse("schools:my_data")).status_code == 302  # logged out
    assert ErasureRecord.objects.get(person_id=person.pk).erased_by == org.district_admin
    # No trace of the name or contact details in anything the person could still be exported from.
    assert "王秀英" not in json.dumps(personal_data.export_person(shell), ensure_ascii=False)


def test_erasure_is_all_or_nothing(org, monkeypatch):
    def broken(user):
        raise RuntimeError("storage down")

    registration = personal_data.Registration("shixun_accounts.FirstLogin", "user", None, broken, None)
    monkeypatch.setitem(personal_data._registry, ("zz", "broken"), registration)
    with pytest.raises(RuntimeError):
        personal_data.erase_person(org.teacher, erased_by=org.district_admin)
    org.teacher.refresh_from_db()
    assert org.teacher.shixun_profile.full_name == "王秀英" and org.teacher.is_active


@pytest.mark.parametrize(
    "who,target,allowed",
    [
        ("district_admin", "teacher", True),
        ("district_admin", "sibling_teacher", True),
        ("district_admin", "foreign_teacher", False),
        ("school_admin", "teacher", False),  # a school admin cannot erase
        ("teacher", "teacher", False),
        ("foreign_district_admin", "teacher", False),
        ("superuser", "foreign_teacher", True),
        # Staff accounts: a superuser only (tested below for the page a district admin sees).
        ("superuser", "school_admin", True),
        ("superuser", "trainer", True),
    ],
)
def test_erase_page_matrix(client, org, who, target, allowed):
    client.force_login(getattr(org, who))
    person = getattr(org, target)
    url = reverse("schools:erase_person", args=[person.pk])
    assert client.get(url).status_code == (200 if allowed else 403)
    response = client.post(url, {"confirm": person.shixun_profile.staff_number or person.username})
    person.refresh_from_db()
    assert person.is_active is not allowed
    assert response.status_code == (302 if allowed else 403)


def test_erase_needs_the_typed_staff_number(client, org):
    client.force_login(org.district_admin)
    response = client.post(reverse("schools:erase_person", args=[org.teacher.pk]), {"confirm": "wrong"})
    assert response.status_code == 200
    org.teacher.refresh_from_db()
    assert org.teacher.is_active


@pytest.mark.parametrize("target", ["school_admin", "trainer", "reviewer"])
def test_a_district_admin_cannot_erase_staff_and_the_page_says_why(client, org, target):
    from shixun.schools.permissions import can_erase_person

    person = getattr(org, target)
    assert person.shixun_profile.district_id == org.district_admin.shixun_profile.district_id
    assert not can_erase_person(org.district_admin, person)
    client.force_login(org.district_admin)
    url = reverse("schools:erase_person", args=[person.pk])
    page = client.get(url)
    assert page.status_code == 200
    body = page.content.decode()
    assert 'id="staff-account"' in body
    assert 'name="confirm"' not in body  # no form, no button
    assert client.post(url, {"confirm": person.shixun_profile.staff_number or person.username}).status_code == 403
    person.refresh_from_db()
    assert person.is_active and not person.shixun_profile.full_name.startswith("已删除用户")


def test_the_dashboard_marks_staff_rows_instead_of_offering_erasure(client, org):
    from shixun.accounts.models import Profile

    # Staff are on the teacher table only when they also teach (issue #16).
    Profile.objects.filter(user=org.school_admin).update(also_teaches=True)
    client.force_login(org.district_admin)
    body = client.get(reverse("schools:school_dashboard", args=[org.school.code])).content.decode()
    assert reverse("schools:erase_person", args=[org.teacher.pk]) in body
    assert reverse("schools:erase_person", args=[org.school_admin.pk]) not in body
    assert 'class="muted staff-account"' in body and 'id="staff-note"' in body
    client.force_login(org.superuser)
    body = client.get(reverse("schools:school_dashboard", args=[org.school.code])).content.decode()
    assert reverse("schools:erase_person", args=[org.school_admin.pk]) in body


def test_erasure_deletes_stored_certificate_pdfs(org, client, django_capture_on_commit_callbacks):
    from shixun.transcripts.models import Certificate
    from tests.transcripts.helpers import complete, enrol, make_course

    course, modules = make_course(hours=("2.0",), title="信息技术应用能力提升")
    enrol(org.teacher, course)
    with django_capture_on_commit_callbacks(execute=True):
        complete(org.teacher, modules[0])
    certificate = Certificate.objects.get(learner=org.teacher)
    stored = certificate.pdf.name
    assert stored and storages["private"].exists(stored)
    client.force_login(org.district_admin)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("schools:erase_person", args=[org.teacher.pk]),
                               {"confirm": org.teacher.shixun_profile.staff_number})
    assert response.status_code == 302
    assert not storages["private"].exists(stored)
    certificate.refresh_from_db()
    assert not certificate.pdf and certificate.learner_name.startswith("已删除用户")
