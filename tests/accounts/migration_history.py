"""One database migrated from zero through the accounts app's data-moving migrations, with rows at each step.

Two tests read its output: test_first_login.py (FirstLogin rows survive the move from the schools app to
accounts) and test_profile_migration.py (each user's teacher data is copied to a Profile). Each used to
migrate a database of its own from zero to the leaves, 30-50 s of one core each (issue 18); the steps are in
migration order, so one database can hold both tests' rows: the FirstLogin row is written before
accounts 0003, the users of the profile move before accounts 0004, and one migration to the leaves moves
both. Each test asserts only its own lines (marked FIRST LOGIN and PROFILE).

Runs in a fresh process on its own database file: SQLite cannot migrate inside the test transaction.
"""

SCRIPT = """
import datetime

import django

django.setup()
from django.db import connection
from django.db.migrations.executor import MigrationExecutor


def migrate_to(targets):
    executor = MigrationExecutor(connection)
    executor.migrate(targets)
    return executor.loader.project_state(targets).apps


def absent(apps, app_label, model, why):
    try:
        apps.get_model(app_label, model)
    except LookupError:
        return
    raise SystemExit(why)


# FIRST LOGIN: the migrations just before FirstLogin moved from the schools app to accounts.
old = migrate_to([("shixun_accounts", "0002_teacher_categories"), ("shixun_schools", "0002_export_chunks")])
absent(old, "shixun_accounts", "FirstLogin", "FirstLogin is in accounts before the move")
user = old.get_model("shixun_accounts", "User").objects.create(username="imported", password="x")
old.get_model("shixun_schools", "FirstLogin").objects.create(
    user_id=user.pk, must_change_password=True, password_at_issue="x"
)

# PROFILE: the teacher fields still on the User, before accounts.Profile exists.
old = migrate_to([("shixun_accounts", "0003_firstlogin_from_schools")])
absent(old, "shixun_accounts", "Profile", "Profile exists before the move")
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
from shixun.accounts.models import FirstLogin, Profile


def report(label, read):
    # One test's failed read is that test's line: the other test's rows are still read and printed.
    try:
        for line in read():
            print(label, line)
    except Exception as error:
        print(label, "error:", repr(error))


def first_login():
    record = FirstLogin.objects.get(user__username="imported")
    yield f"kept {record.must_change_password} {record.password_at_issue}"


def profiles():
    profile = Profile.objects.get(user__username="t")
    categories = sorted(profile.categories.values_list("code", flat=True))
    subjects = sorted(profile.subjects.values_list("name", flat=True))
    yield (f"{profile.full_name} {profile.staff_number} {profile.phone} {profile.district.code} "
           f"{profile.school.code} {profile.start_date.isoformat()} {categories} {subjects}")
    bare = Profile.objects.get(user__username="bare")
    yield f"{bare.full_name!r} {bare.staff_number!r} {bare.school_id} {bare.categories.count()}"


report("FIRST LOGIN", first_login)
report("PROFILE", profiles)
"""


def lines_of(result, label: str) -> list[str]:
    """The script's lines for one test (without their label), once the script has passed."""
    assert result.returncode == 0, result.stderr[-4000:]
    return [line.removeprefix(label + " ") for line in result.stdout.splitlines() if line.startswith(label + " ")]
