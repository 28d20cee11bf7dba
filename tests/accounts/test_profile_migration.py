"""The teacher fields move from the standalone User to accounts.Profile without loss."""

from tests.django_script import MIGRATES_FROM_ZERO, run_django_script

# Runs in a fresh process on its own database file: SQLite cannot migrate
# inside the test transaction (see test_first_login.py).
MIGRATE_FORWARD = """
import datetime

import django

django.setup()
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

before = [("shixun_accounts", "0003_firstlogin_from_schools")]
executor = MigrationExecutor(connection)
executor.migrate(before)
old = executor.loader.project_state(before).apps
try:
    old.get_model("shixun_accounts", "Profile")
    raise SystemExit("Profile exists before the move")
except LookupError:
    pass
District = old.get_model("shixun_accounts", "District")
School = old.get_model("shixun_accounts", "School")
User = old.get_model("shixun_accounts", "User")
district = District.objects.create(code="d", name="区")
school = School.objects.create(code="s", name="学校", district=district)
category = old.get_model("shixun_accounts", "TeacherCategory").objects.get(code="new")
subject = old.get_model("shixun_accounts", "Subject").objects.create(name="数学")
teacher = User.objects.create(
    username="t", password="x", full_name="王老师", staff_number="0042", phone="13800138000",
    district=district, school=school, start_date=datetime.date(2020, 9, 1),
)
teacher.categories.add(category)
teacher.subjects.add(subject)
User.objects.create(username="bare", password="x")

executor = MigrationExecutor(connection)
executor.migrate(executor.loader.graph.leaf_nodes())
from shixun.accounts.models import Profile

profile = Profile.objects.get(user__username="t")
print(profile.full_name, profile.staff_number, profile.phone, profile.district.code, profile.school.code,
      profile.start_date.isoformat(), sorted(profile.categories.values_list("code", flat=True)),
      sorted(profile.subjects.values_list("name", flat=True)))
bare = Profile.objects.get(user__username="bare")
print(repr(bare.full_name), repr(bare.staff_number), bare.school_id, bare.categories.count())
"""


@MIGRATES_FROM_ZERO
def test_migrating_copies_every_users_teacher_data_to_a_profile(tmp_path):
    result = run_django_script(MIGRATE_FORWARD, sqlite_path=tmp_path / "before-profiles.sqlite3")
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines()[-2:] == [
        "王老师 0042 13800138000 d s 2020-09-01 ['new'] ['数学']",
        "'' '' None 0",
    ]
