"""First login with a one-time password: the accounts app's record, service, middleware and migration."""


import pytest
from django.conf import settings as project_settings
from django.urls import reverse

from shixun.accounts.first_login import forget_one_time_password, issue_one_time_password
from shixun.accounts.models import FirstLogin
from tests.accounts.migration_history import lines_of
from tests.django_script import MIGRATES_FROM_ZERO


@pytest.mark.django_db
def test_one_time_password_must_be_changed_at_first_login(client, org):
    assert "shixun.accounts.first_login.FirstLoginMiddleware" in project_settings.MIDDLEWARE

    password = issue_one_time_password(org.teacher)
    assert client.login(username="teacher", password=password)
    response = client.get(reverse("accounts:profile"))
    assert response.status_code == 302 and response.url == reverse("accounts:password_change")
    changed = client.post(
        reverse("accounts:password_change"),
        {"old_password": password, "new_password1": "better-password-42", "new_password2": "better-password-42"},
    )
    assert changed.status_code == 302
    assert client.get(reverse("accounts:profile")).status_code == 200
    assert FirstLogin.objects.get(user=org.teacher).must_change_password is False


@pytest.mark.django_db
def test_forgetting_the_one_time_password_lets_the_holder_in_freely(client, org):
    password = issue_one_time_password(org.teacher)
    forget_one_time_password(org.teacher)
    assert not FirstLogin.objects.filter(user=org.teacher).exists()
    assert client.login(username="teacher", password=password)
    assert client.get(reverse("accounts:profile")).status_code == 200


# The database migrated from zero with a FirstLogin row in the schools app before the move:
# tests/accounts/migration_history.py (one run shared with test_profile_migration.py).
@MIGRATES_FROM_ZERO
def test_migrating_an_existing_database_keeps_its_first_login_rows(migrated_through_the_moves):
    assert lines_of(migrated_through_the_moves, "FIRST LOGIN") == ["kept True x"]
