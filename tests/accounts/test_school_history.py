"""The school history (accounts.SchoolHistory): written by Profile.save whenever a teacher's school changes,
seeded by its migration with the current school, shown in the training file."""

import io
from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.apps import apps as django_apps
from django.utils import timezone, translation
from pypdf import PdfReader

from shixun.accounts.models import Profile, SchoolHistory
from shixun.accounts.people import profile_of
from tests.factories import make_school, make_teacher

pytestmark = pytest.mark.django_db


def stays(user):
    return [(s.school_id, s.since, s.until) for s in SchoolHistory.objects.filter(profile__user=user)]


def test_a_new_teacher_starts_a_stay_and_a_move_ends_it(org):
    today = timezone.localdate()
    teacher = make_teacher(org.school)
    assert stays(teacher) == [(org.school.pk, today, None)]

    profile = Profile.objects.get(user=teacher)  # as the user admin's form loads it
    profile.full_name = "改名不调动"
    profile.save()
    assert stays(teacher) == [(org.school.pk, today, None)]  # no move, no row

    profile.school = org.sibling_school
    profile.save()
    assert stays(teacher) == [(org.school.pk, today, today), (org.sibling_school.pk, today, None)]

    profile.school = None  # left for the district office: the stay ends, none begins
    profile.save()
    assert stays(teacher) == [(org.school.pk, today, today), (org.sibling_school.pk, today, today)]


def test_a_save_of_other_fields_only_writes_no_history(org):
    teacher = make_teacher(org.school)
    profile = Profile.objects.get(user=teacher)
    profile.school = org.sibling_school
    profile.save(update_fields=["full_name"])  # the school is not written, so nothing moved
    assert stays(teacher) == [(org.school.pk, timezone.localdate(), None)]


def test_the_user_admin_form_moves_a_teacher_with_history(org):
    from shixun.accounts.forms import AdminUserEditForm

    teacher = make_teacher(org.school, full_name="调动教师", staff_number="T777")
    form = AdminUserEditForm(instance=teacher)
    data = {name: form.initial.get(name, "") for name in form.fields}
    data.update(school=org.sibling_school.pk, full_name="调动教师", staff_number="T777", email="t777@example.cn",
                categories=[c.pk for c in profile_of(teacher).categories.all()], subjects=[], groups=[],
                start_date="", phone="", also_teaches="")
    data = {k: v for k, v in data.items() if v is not None}
    form = AdminUserEditForm(data, instance=teacher)
    assert form.is_valid(), form.errors
    form.save()
    today = timezone.localdate()
    assert stays(teacher) == [(org.school.pk, today, today), (org.sibling_school.pk, today, None)]


def test_the_migration_records_each_current_school_once(org):
    from importlib import import_module

    migration = import_module("shixun.accounts.migrations.0010_school_history")
    SchoolHistory.objects.all().delete()  # as before the migration: teachers with a school, no history
    migration.current_schools(django_apps, None)
    assert stays(org.teacher) == [(org.school.pk, None, None)]
    assert stays(org.sibling_teacher) == [(org.sibling_school.pk, None, None)]
    assert SchoolHistory.objects.count() == Profile.objects.filter(school__isnull=False).count()


def test_the_training_file_shows_the_school_history_not_the_entries_schools(org):
    from shixun.transcripts.ledger import post_entry
    from shixun.transcripts.models import SourceKind
    from shixun.transcripts.training_file import gather, produce

    before = make_school(org.district, code="s-old", name="原任教小学")
    teacher = make_teacher(before, full_name="档案教师")
    SchoolHistory.objects.filter(profile__user=teacher).update(since=date(2019, 9, 1))
    profile = Profile.objects.get(user=teacher)
    profile.school = org.school
    profile.save()
    moved = timezone.localdate()
    SchoolHistory.objects.filter(profile__user=teacher, until=moved).update(until=moved - timedelta(days=1))
    # Hours earned before the move are posted with the school of the day: they do not make a stay.
    post_entry(learner=teacher, hours=Decimal("3"), title="区级培训", source_kind=SourceKind.EXTERNAL_TRAINING,
               source_ref="history-1", earned_on=date(2025, 5, 1))
    teacher = type(teacher).objects.select_related("shixun_profile__school").get(pk=teacher.pk)
    spans = [(s.name, s.first, s.last, s.current) for s in gather(teacher).schools]
    assert spans == [("原任教小学", date(2019, 9, 1), moved - timedelta(days=1), False),
                     (org.school.name, moved, None, True)]
    with translation.override("zh-hans"):
        body, _record = produce(teacher)
    text = "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(body)).pages)
    assert "原任教小学" in text and "2019-09-01" in text and f"{moved - timedelta(days=1):%Y-%m-%d}" in text
    assert "起始日期" in text and "截止日期" in text and "现任" in text
