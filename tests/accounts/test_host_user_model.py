"""Shixun on a site whose user model is Django's default auth.User (issue #19).

A fresh process with tests/accounts/host_user_model_settings.py migrates a new
SQLite database and walks one journey: a teacher with a profile completes a
module, the hours reach the ledger with their school, the transcript page
shows them, and the staff-number login finds them through the profile.
"""


from tests.django_script import MIGRATES_FROM_ZERO, run_django_script

JOURNEY = """
import django

django.setup()
from django.contrib.auth import authenticate, get_user_model
from django.core.management import call_command
from django.db import connection
from django.test import Client
from django.urls import reverse

call_command("migrate", verbosity=0)
User = get_user_model()
print("user model", User._meta.label)
print("shixun user table", "shixun_accounts_user" in connection.introspection.table_names())

from shixun.accounts.models import Profile
from shixun.accounts.people import profile_of
from tests.factories import PASSWORD, make_school
from tests.transcripts.helpers import complete, enrol, make_course
from shixun.transcripts.models import LedgerEntry

school = make_school(code="host-s")
teacher = User.objects.create_user("wang", email="wang@example.com", password=PASSWORD)
Profile.objects.create(user=teacher, full_name="王老师", staff_number="H001", school=school)
host_admin = User.objects.create_superuser("host-admin", email="admin@example.com", password=PASSWORD)
print("admin without profile", profile_of(host_admin).pk, profile_of(host_admin).is_district_admin,
      profile_of(host_admin).display_name)

course, modules = make_course(hours=("2.0",))
enrol(teacher, course)
complete(teacher, modules[0])
entry = LedgerEntry.objects.get(learner=teacher)
print("ledger", entry.hours, entry.school_id == school.pk)

print("staff number login", authenticate(username="H001", password=PASSWORD) == teacher)
client = Client()
client.force_login(teacher)
page = client.get(reverse("transcripts:mine"))
print("transcript", page.status_code, "2.0" in page.content.decode())
admin_client = Client()
admin_client.force_login(host_admin)
print("school dashboard for the host superuser",
      admin_client.get(reverse("schools:school_dashboard", args=[school.code])).status_code)
"""


@MIGRATES_FROM_ZERO
def test_shixun_runs_on_djangos_default_user_model(tmp_path):
    result = run_django_script(
        JOURNEY, sqlite_path=tmp_path / "host.sqlite3", settings="tests.accounts.host_user_model_settings"
    )
    assert result.returncode == 0, result.stderr[-4000:]
    assert result.stdout.splitlines()[-7:] == [
        "user model auth.User",
        "shixun user table False",
        "admin without profile None False host-admin",
        "ledger 2.0 True",
        "staff number login True",
        "transcript 200 True",
        "school dashboard for the host superuser 200",
    ]
