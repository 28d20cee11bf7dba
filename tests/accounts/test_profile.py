"""accounts.Profile: the one reader (profile_of), the login backend and the admin's user forms."""

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import AnonymousUser
from django.db import connections

from shixun.accounts import backends
from shixun.accounts.backends import UsernameOrStaffNumberBackend
from shixun.accounts.forms import AdminUserCreationForm, AdminUserEditForm
from shixun.accounts.models import Role, TeacherCategory
from shixun.accounts.people import profile_of
from tests.factories import PASSWORD


@pytest.mark.django_db
def test_a_user_without_a_profile_has_no_role_and_is_named_by_username(django_assert_num_queries):
    user = get_user_model().objects.create_user("host-admin", email="a@example.com", password=PASSWORD)
    profile = profile_of(user)
    assert profile.pk is None and profile.school_id is None
    assert not (profile.is_trainer or profile.is_school_admin or profile.is_district_admin)
    assert profile.display_name == "host-admin" and str(user) == "host-admin"
    with django_assert_num_queries(0):
        assert profile_of(user) is profile  # remembered on the user object
    anonymous = profile_of(AnonymousUser())
    assert anonymous.role_names == frozenset() and not anonymous.is_reviewer


@pytest.mark.django_db
def test_the_backend_loads_the_profile_with_the_user(org, django_assert_num_queries):
    user = UsernameOrStaffNumberBackend().get_user(org.school_admin.pk)
    with django_assert_num_queries(0):  # the profile and the role names (groups) came with the user
        assert profile_of(user).is_school_admin and profile_of(user).school_id == org.school.pk


@pytest.mark.django_db
def test_the_backend_loads_the_same_user_as_the_orm_with_one_query_compiled_once(org, django_assert_num_queries):
    """get_user's query is compiled once per connection (issue #18); what it loads is what the ORM loads."""
    from django.utils import timezone

    backend = UsernameOrStaffNumberBackend()
    User = get_user_model()
    teacher = org.teacher
    teacher.last_login = timezone.now()
    teacher.save(update_fields=["last_login"])
    backend.get_user(teacher.pk)  # compiles
    compiled = backends._compiled[connections["default"]]
    with django_assert_num_queries(1):
        user = backend.get_user(str(teacher.pk))  # the session keeps the id as text
        assert user.shixun_profile.school_id == org.school.pk  # no second query: the profile came along
    expected = User.objects.select_related("shixun_profile").get(pk=teacher.pk)
    fields = [f.attname for f in User._meta.concrete_fields]
    assert [getattr(user, f) for f in fields] == [getattr(expected, f) for f in fields]
    assert user.last_login == teacher.last_login and user.is_active is True and not user._state.adding
    assert user.get_session_auth_hash() == expected.get_session_auth_hash()
    assert backends._compiled[connections["default"]] is compiled  # the same compiled statement served every call
    no_profile = User.objects.create_user("host-admin", email="a@example.com", password=PASSWORD)
    with django_assert_num_queries(1):
        loaded = backend.get_user(no_profile.pk)
        assert not hasattr(loaded, "shixun_profile")  # known absent, as select_related leaves it
    assert backend.get_user(999_999) is None
    User.objects.filter(pk=teacher.pk).update(is_active=False)
    assert backend.get_user(teacher.pk) is None  # an inactive user is not loaded into a session


@pytest.mark.django_db
def test_the_admin_user_forms_write_the_profile(org):
    category = TeacherCategory.objects.get(code="new")
    data = {
        "username": "zhao",
        "email": "zhao@example.com",
        "password1": "a long enough password 9",
        "password2": "a long enough password 9",
        "full_name": "赵老师",
        "staff_number": "T555",
        "phone": "13800001111",
        "school": org.sibling_school.pk,
        "categories": [category.pk],
        "start_date": "2024-09-01",
    }
    form = AdminUserCreationForm(data)
    assert form.is_valid(), form.errors
    user = form.save()
    profile = get_user_model().objects.get(pk=user.pk).shixun_profile
    assert (profile.full_name, profile.staff_number, profile.phone, profile.school, profile.district) == (
        "赵老师", "T555", "13800001111", org.sibling_school, org.district
    )
    assert list(profile.categories.all()) == [category]

    edit = AdminUserEditForm({**data, "full_name": "赵明", "school": org.foreign_school.pk, "is_active": "on"},
                             instance=get_user_model().objects.get(pk=user.pk))
    assert edit.is_valid(), edit.errors
    edit.save()
    profile.refresh_from_db()
    assert (profile.full_name, profile.school, profile.district) == ("赵明", org.foreign_school, org.other_district)

    unnamed = AdminUserCreationForm({**data, "username": "nameless", "full_name": "", "staff_number": "T556"})
    assert not unnamed.is_valid() and "full_name" in unnamed.errors


@pytest.mark.django_db
def test_role_helpers_read_the_users_groups(org):
    assert profile_of(org.trainer).has_role(Role.TRAINER) and not profile_of(org.teacher).has_role(Role.TRAINER)
