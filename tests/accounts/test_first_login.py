"""First login with a one-time password: the accounts app's record, service, middleware and migration."""


import pytest
from django.conf import settings as project_settings
from django.urls import reverse

from shixun.accounts.first_login import forget_one_time_password, issue_one_time_password
from shixun.accounts.models import FirstLogin
from tests.django_script import MIGRATES_FROM_ZERO, run_django_script


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


# Run in a fresh SQLite database of its own: migrations cannot be unapplied
# inside the test transaction on SQLite, and a transactional test would empty
# the shared test database for the tests after it.
MIGRATE_BACK_AND_FORTH = """
import django

django.setup()
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

# The migrations just before FirstLogin moved from the schools app to accounts.
before = [("shixun_accounts", "0002_teacher_categories"), ("shixun_schools", "0002_export_chunks")]
executor = MigrationExecutor(connection)
executor.migrate(before)
old_apps = executor.loader.project_state(before).apps
try:
    old_apps.get_model("shixun_accounts", "FirstLogin")
    raise SystemExit("FirstLogin is in accounts before the move")
except LookupError:
    pass
user = old_apps.get_model("shixun_accounts", "User").objects.create(username="imported", password="x")
old_apps.get_model("shixun_schools", "FirstLogin").objects.create(
    user_id=user.pk, must_change_password=True, password_at_issue="x"
)

executor = MigrationExecutor(connection)
executor.migrate(executor.loader.graph.leaf_nodes())
from shixun.accounts.models import FirstLogin

record = FirstLogin.objects.get(user__username="imported")
print("kept", record.must_change_password, record.password_at_issue)
"""


@MIGRATES_FROM_ZERO
def test_migrating_an_existing_database_keeps_its_first_login_rows(tmp_path):
    result = run_django_script(MIGRATE_BACK_AND_FORTH, sqlite_path=tmp_path / "before-the-move.sqlite3")
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines()[-1] == "kept True x"
