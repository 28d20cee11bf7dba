"""Role × view matrix: each role reaches what it must and is refused the rest."""

import pytest
from django.urls import reverse

from shixun.accounts.permissions import can_view_person, people_visible_to, schools_visible_to

ALLOWED, DENIED = 200, 403
ROLES = ["anonymous", "teacher", "school_admin", "sibling_school_admin", "district_admin",
         "foreign_district_admin", "trainer", "reviewer", "superuser"]

# (url builder, {role: expected}); roles absent from the dict are DENIED.
MATRIX = [
    (
        lambda o: reverse("accounts:school", args=[o.school.code]),
        {"school_admin": ALLOWED, "district_admin": ALLOWED, "superuser": ALLOWED},
    ),
    (
        lambda o: reverse("accounts:school", args=[o.foreign_school.code]),
        {"foreign_district_admin": ALLOWED, "superuser": ALLOWED},
    ),
    (
        lambda o: reverse("accounts:district", args=[o.district.code]),
        {"district_admin": ALLOWED, "superuser": ALLOWED},
    ),
    (
        lambda o: reverse("accounts:person", args=[o.teacher.pk]),
        # 404 rather than 403 for people outside one's scope: their existence is not revealed.
        {"teacher": ALLOWED, "school_admin": ALLOWED, "district_admin": ALLOWED, "superuser": ALLOWED},
    ),
    (
        lambda o: reverse("accounts:person", args=[o.foreign_teacher.pk]),
        {"foreign_district_admin": ALLOWED, "superuser": ALLOWED},
    ),
    (
        lambda o: reverse("accounts:profile"),
        {role: ALLOWED for role in ROLES if role != "anonymous"},
    ),
]


@pytest.mark.django_db
@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("case", range(len(MATRIX)))
def test_role_view_matrix(client, org, role, case):
    url_for, expectations = MATRIX[case]
    url = url_for(org)
    if role != "anonymous":
        client.force_login(getattr(org, role))
    response = client.get(url)
    if role == "anonymous":
        assert response.status_code == 302 and reverse("accounts:login") in response["Location"]
        return
    expected = expectations.get(role, DENIED)
    if expected == DENIED:
        assert response.status_code in (403, 404), f"{role} reached {url}"
    else:
        assert response.status_code == expected, f"{role} could not reach {url}"


@pytest.mark.django_db
def test_school_admin_never_sees_another_schools_people(client, org):
    client.force_login(org.school_admin)
    page = client.get(reverse("accounts:school", args=[org.school.code])).content.decode()
    assert org.teacher.full_name in page
    assert org.sibling_teacher.full_name not in page
    visible = set(people_visible_to(org.school_admin))
    assert org.teacher in visible
    assert org.sibling_teacher not in visible and org.foreign_teacher not in visible


@pytest.mark.django_db
def test_district_admin_scope_stops_at_the_district(org):
    visible = set(people_visible_to(org.district_admin))
    assert {org.teacher, org.sibling_teacher} <= visible
    assert org.foreign_teacher not in visible
    assert set(schools_visible_to(org.district_admin)) == {org.school, org.sibling_school}
    assert not can_view_person(org.district_admin, org.foreign_teacher)


@pytest.mark.django_db
def test_inactive_user_sees_nobody(org):
    org.school_admin.is_active = False
    assert not people_visible_to(org.school_admin).exists()
    assert not can_view_person(org.school_admin, org.teacher)


@pytest.mark.django_db
@pytest.mark.parametrize(
    "role,reaches_admin",
    [("teacher", False), ("school_admin", False), ("trainer", True), ("reviewer", True),
     ("district_admin", True), ("superuser", True)],
)
def test_wagtail_admin_is_for_trainers_and_reviewers_not_teachers(client, org, role, reaches_admin):
    client.force_login(getattr(org, role))
    response = client.get(reverse("wagtailadmin_home"))
    if reaches_admin:
        assert response.status_code == 200
    else:
        assert response.status_code == 302 and "login" in response["Location"]


@pytest.mark.django_db
def test_a_role_without_its_scope_grants_nothing(org):
    """A school-admin group member with no school administers nothing."""
    from tests.factories import make_user

    stray = make_user(roles=["school-admins"])
    assert not stray.is_school_admin
    assert list(people_visible_to(stray)) == [stray]
