"""Issue #16: school admins were counted as teachers on dashboards and in exports. Staff count as
teachers only when they also teach (Profile.also_teaches), the same everywhere."""

import pytest
from django.db.models import Q
from django.urls import reverse

from shixun.accounts.models import Role
from shixun.accounts.people import teachers
from shixun.courses.permissions import assignable_teachers
from shixun.schools import exports
from shixun.schools.dashboard import teachers_of
from tests.factories import make_user

pytestmark = pytest.mark.django_db


def test_staff_are_teachers_only_when_they_also_teach(org):
    teaching_admin = make_user(school=org.school, roles=[Role.SCHOOL_ADMIN], also_teaches=True)
    everyone = set(teachers().values_list("username", flat=True))
    assert {"teacher", "sibling", "foreign", teaching_admin.username} <= everyone
    assert not {"schooladmin", "siblingadmin", "districtadmin", "trainer"} & everyone


def test_dashboard_export_and_assignment_count_the_same_people(org):
    teaching_admin = make_user(school=org.school, roles=[Role.SCHOOL_ADMIN], also_teaches=True)
    school = set(teachers_of(Q(shixun_profile__school=org.school)))
    assert org.school_admin not in school and teaching_admin in school and org.teacher in school
    exported = set(exports.Scope(district=org.district, school=org.school).teachers())
    assert exported == school
    assignable = set(assignable_teachers(org.district_admin).filter(shixun_profile__school=org.school))
    assert assignable == school


def test_the_school_dashboard_does_not_list_its_admin(org, client):
    client.force_login(org.school_admin)
    page = client.get(reverse("schools:school_dashboard", args=[org.school.code])).content.decode()
    assert org.teacher.shixun_profile.full_name in page
    assert org.school_admin.shixun_profile.full_name not in page


def test_the_admin_user_form_sets_the_flag(org, admin_client):
    from shixun.accounts.forms import AdminUserEditForm

    form = AdminUserEditForm(instance=org.school_admin)
    assert "also_teaches" in form.fields
