import re

import pytest
from django.urls import reverse

from tests.factories import PASSWORD, make_user


@pytest.mark.django_db
@pytest.mark.parametrize("identifier", ["teacher", "T001"])
def test_teacher_logs_in_with_username_or_staff_number_and_lands_on_learning_home(client, org, identifier):
    org.foreign_teacher.set_password("a different password 7")  # shares staff number T001
    org.foreign_teacher.save()
    response = client.post(reverse("accounts:login"), {"username": identifier, "password": PASSWORD})
    assert response.status_code == 302
    assert int(client.session["_auth_user_id"]) == org.teacher.pk
    from shixun.accounts.roles import learner_home_url

    assert response["Location"] == learner_home_url()


@pytest.mark.django_db
def test_same_staff_number_in_two_districts_is_told_apart_by_password(client, org):
    # org.teacher and org.foreign_teacher share staff number T001 in different districts.
    org.foreign_teacher.set_password("another password 42")
    org.foreign_teacher.save()
    client.post(reverse("accounts:login"), {"username": "T001", "password": "another password 42"})
    assert int(client.session["_auth_user_id"]) == org.foreign_teacher.pk


@pytest.mark.django_db
def test_ambiguous_staff_number_with_the_same_password_logs_nobody_in(client, org):
    response = client.post(reverse("accounts:login"), {"username": "T001", "password": PASSWORD})
    assert "_auth_user_id" not in client.session
    assert response.status_code == 200


@pytest.mark.django_db
def test_wrong_password_gives_a_clear_message_in_chinese(client, org):
    response = client.post(reverse("accounts:login"), {"username": "teacher", "password": "nope"})
    assert response.status_code == 200
    assert "密码" in response.content.decode()


@pytest.mark.django_db
@pytest.mark.parametrize(
    "role,landing",
    [
        ("school_admin", lambda o: reverse("schools:school_dashboard", args=[o.school.code])),
        ("district_admin", lambda o: reverse("schools:district_dashboard", args=[o.district.code])),
        ("trainer", lambda o: reverse("wagtailadmin_home")),
        ("reviewer", lambda o: reverse("wagtailadmin_home")),
    ],
)
def test_each_role_lands_on_its_own_page(client, org, role, landing):
    user = getattr(org, role)
    response = client.post(reverse("accounts:login"), {"username": user.username, "password": PASSWORD})
    assert response["Location"] == landing(org)
    assert client.get(response["Location"]).status_code == 200


@pytest.mark.django_db
def test_password_reset_by_email_end_to_end(client, org, mailoutbox):
    client.post(reverse("accounts:password_reset"), {"email": org.teacher.email})
    assert len(mailoutbox) == 1
    link = re.search(r"http://testserver(/\S+)", mailoutbox[0].body).group(1)
    form_url = client.get(link)["Location"]  # Django swaps the token for a session marker
    response = client.post(form_url, {"new_password1": "a fresh 2026 secret", "new_password2": "a fresh 2026 secret"})
    assert response["Location"] == reverse("accounts:password_reset_complete")
    client.logout()
    client.post(reverse("accounts:login"), {"username": "teacher", "password": "a fresh 2026 secret"})
    assert int(client.session["_auth_user_id"]) == org.teacher.pk


@pytest.mark.django_db
def test_profile_changes_contact_details_but_not_school(client, org):
    client.force_login(org.teacher)
    response = client.post(
        reverse("accounts:profile"),
        {"phone": "138 0013 8000", "email": "new@example.com", "school": org.sibling_school.pk},
    )
    assert response.status_code == 302
    org.teacher.refresh_from_db()
    assert (org.teacher.phone, org.teacher.email, org.teacher.school) == ("13800138000", "new@example.com", org.school)


@pytest.mark.django_db
def test_profile_refuses_a_bad_phone_number(client, org):
    client.force_login(org.teacher)
    response = client.post(reverse("accounts:profile"), {"phone": "call me", "email": ""})
    assert response.status_code == 200
    assert "13800138000" in response.content.decode()


@pytest.mark.django_db
def test_password_change(client, org):
    client.force_login(org.teacher)
    response = client.post(
        reverse("accounts:password_change"),
        {"old_password": PASSWORD, "new_password1": "brand new 2026 pass", "new_password2": "brand new 2026 pass"},
    )
    assert response.status_code == 302
    org.teacher.refresh_from_db()
    assert org.teacher.check_password("brand new 2026 pass")


@pytest.mark.django_db
def test_staff_number_is_unique_within_a_district_only(org):
    from django.db import IntegrityError, transaction

    make_user(school=org.foreign_school, staff_number="T777")
    make_user(school=org.school, staff_number="T777")  # other district: fine
    with pytest.raises(IntegrityError), transaction.atomic():
        make_user(school=org.sibling_school, staff_number="T777")


@pytest.mark.django_db
def test_district_follows_the_school(org):
    user = make_user(school=org.foreign_school, district=org.district)
    assert user.district == org.other_district
