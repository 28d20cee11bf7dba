"""Small, explicit builders for test data (plain functions, no magic)."""

import itertools

from django.contrib.auth.models import Group

from shixun.accounts.models import District, Profile, Role, School, TeacherCategory, User
from shixun.accounts.people import profile_of

# Teacher data make_user puts on the profile rather than the user.
PROFILE_FIELDS = ("full_name", "staff_number", "phone", "start_date", "also_teaches")

_seq = itertools.count(1)
PASSWORD = "correct horse battery"


def make_district(code=None, name=None) -> District:
    n = next(_seq)
    return District.objects.create(code=code or f"d{n}", name=name or f"区{n}")


def make_school(district=None, code=None, name=None) -> School:
    n = next(_seq)
    return School.objects.create(
        district=district or make_district(), code=code or f"s{n}", name=name or f"学校{n}"
    )


def make_user(*, school=None, district=None, roles=(), categories=(), password=PASSWORD, **fields) -> User:
    n = next(_seq)
    profile_fields = {name: fields.pop(name) for name in PROFILE_FIELDS if name in fields}
    profile_fields.setdefault("full_name", f"测试{n}")
    fields.setdefault("username", f"user{n}")
    fields.setdefault("email", f"user{n}@example.com")
    user = User(**fields)
    user.set_password(password)
    user.save()
    Profile.objects.create(
        user=user, school=school, district=district or (school.district if school else None), **profile_fields
    )
    for role in roles:
        user.groups.add(Group.objects.get_or_create(name=Role(role).value)[0])
    if categories:
        profile_of(user).categories.set(TeacherCategory.objects.filter(code__in=categories))
    return User.objects.select_related("shixun_profile").get(pk=user.pk)  # fresh instance: no cached role_names


def make_teacher(school, **fields) -> User:
    return make_user(school=school, categories=fields.pop("categories", ("in_service",)), **fields)



def study_lesson(user, module):
    """The learner studies the module's lesson for its whole minimum time, as the module page's heartbeats do:
    the real crediting path with the server clock given (courses.study.replay_study), without waiting."""
    from shixun.courses.study import replay_study

    return replay_study(user, module)
