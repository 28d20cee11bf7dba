"""The review of study patterns (issue #13): the evidence the heartbeat's one UPDATE keeps, the flags, who sees
them (trainers of the course, the district; 404 for others), and that a flag never changes credit."""

from datetime import timedelta

import pytest
from django.urls import reverse

from shixun.accounts.models import Role
from shixun.assessments.quizzes import services as quizzes
from shixun.assessments.quizzes.models import Attempt
from shixun.courses.models import StudyTime
from shixun.courses.study import record_heartbeat
from shixun.transcripts.models import LedgerEntry
from shixun.transcripts.study_review import study_flags
from tests.factories import make_user
from tests.quizzes import builders
from tests.transcripts.helpers import enrol, make_course

pytestmark = pytest.mark.django_db

T0 = 1_800_000_000_000
S = 1000  # ms
INTERVAL = 30 * S  # SHIXUN_STUDY_HEARTBEAT_SECONDS


@pytest.fixture
def modules(org, settings):
    settings.SHIXUN_STUDY_SECONDS_PER_MINUTE = 60  # real minutes: no lesson completes in these tests
    course, modules = make_course(hours=("40.0", "40.0"))
    course.trainers.add(org.trainer)
    course.save()
    enrol(org.teacher, course)
    return modules


def row(user, module) -> StudyTime:
    return StudyTime.objects.get(user=user, module=module)


def beats(user, module, times, start_first=True):
    for n, at in enumerate(times):
        record_heartbeat(user, module, start=start_first and n == 0, at=at)


def test_a_single_tab_reading_leaves_no_signs(org, modules):
    a, _b = modules
    beats(org.teacher, a, [T0 + n * (INTERVAL + (n % 3) * 700) for n in range(12)])
    r = row(org.teacher, a)
    assert (r.beats, r.credited_beats, r.short_beats, r.overlap_beats) == (12, 11, 0, 0)
    assert r.gap_sum_ms == r.active_ms and r.gap_sq_sum > 0
    assert study_flags(org.district_admin) == []


def test_two_modules_interleaved_in_the_same_minutes_are_overlaps(org, modules):
    a, b = modules
    for n in range(8):
        record_heartbeat(org.teacher, a, start=n == 0, at=T0 + n * INTERVAL)
        record_heartbeat(org.teacher, b, start=n == 0, at=T0 + n * INTERVAL + 15 * S)
    assert row(org.teacher, a).overlap_beats == 7 and row(org.teacher, b).overlap_beats == 7
    flags = study_flags(org.district_admin, kind="overlap")
    assert {(f.kind, f.module.pk) for f in flags} == {("overlap", a.pk), ("overlap", b.pk)}
    assert "另一个模块也在计时" in flags[0].explanation or "another module" in flags[0].explanation


def test_moving_on_to_the_next_module_is_not_an_overlap(org, modules):
    a, b = modules
    beats(org.teacher, a, [T0 + n * INTERVAL for n in range(6)])
    beats(org.teacher, b, [T0 + 5 * INTERVAL + 5 * S + n * INTERVAL for n in range(6)])
    assert row(org.teacher, b).overlap_beats == 0


def test_two_devices_on_one_module_are_short_beats_credited_once(org, modules):
    a, _b = modules
    phone = [T0 + n * INTERVAL for n in range(10)]
    computer = [t + 10 * S for t in phone]
    beats(org.teacher, a, sorted(phone + computer))
    r = row(org.teacher, a)
    assert r.short_beats >= 9 and r.active_ms == 9 * INTERVAL + 10 * S  # the clock ran once
    assert [f.kind for f in study_flags(org.trainer, kind="devices")] == ["devices"]


def test_hours_at_a_machine_regular_rhythm_are_flagged_and_a_pause_breaks_a_run(org, modules, settings):
    settings.SHIXUN_REVIEW_LONG_RUN_MINUTES = 60
    a, b = modules
    beats(org.teacher, a, [T0 + n * INTERVAL for n in range(125)])  # 62 minutes, every 30.000 s
    r = row(org.teacher, a)
    assert r.longest_run_ms == 124 * INTERVAL
    (flag,) = study_flags(org.district_admin, kind="rhythm")
    assert flag.module.pk == a.pk and "62" in flag.explanation
    # The same hour with the page's pauses (a start beat after each idle prompt): no run reaches an hour.
    times = [T0 + n * INTERVAL for n in range(125)]
    for n, at in enumerate(times):
        record_heartbeat(org.sibling_teacher, b, start=n % 40 == 0, at=at)
    assert row(org.sibling_teacher, b).longest_run_ms < 60 * 60 * S


def test_the_flags_are_cards_without_list_bullets_on_a_phone(org, client, modules):
    """The list's style (`.certificates`: no bullets, no indent) is in the transcripts' stylesheet: the page loads
    it, or each card sits beside a bullet, 40 px narrower on a 360 px phone."""
    a, b = modules
    for n in range(8):
        record_heartbeat(org.teacher, a, start=n == 0, at=T0 + n * INTERVAL)
        record_heartbeat(org.teacher, b, start=n == 0, at=T0 + n * INTERVAL + 15 * S)
    client.force_login(org.district_admin)
    html = client.get(reverse("transcripts:study_review")).content.decode()
    assert '<ul class="certificates study-review">' in html and "transcripts/transcripts.css" in html


def test_a_quiz_submitted_within_seconds_is_flagged_and_credit_is_untouched(org, client):
    quiz = builders.quiz([builders.single(), builders.true_false()])
    course, module = builders.course_with_module([quiz], trainers=[org.trainer])
    builders.enrol(org.teacher, course)
    fast = quizzes.start_attempt(org.teacher, quiz, module)
    quizzes.submit_attempt(fast.pk, org.teacher, {})
    hours_before = list(LedgerEntry.objects.values_list("pk", "hours"))
    (flag,) = study_flags(org.trainer, kind="quiz_fast")
    assert flag.learner.pk == org.teacher.pk and flag.module.pk == module.pk
    # Two minutes for two questions is reading speed: not flagged.
    Attempt.objects.filter(pk=fast.pk).update(started_at=fast.started_at - timedelta(minutes=2))
    assert study_flags(org.trainer, kind="quiz_fast") == []
    Attempt.objects.filter(pk=fast.pk).update(started_at=fast.started_at)

    client.force_login(org.district_admin)
    page = client.get(reverse("transcripts:study_review"), HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    assert "测验作答过快" in page and "来不及读题" in page
    assert reverse("transcripts:person", args=[org.teacher.pk]) in page  # the district opens the transcript
    assert list(LedgerEntry.objects.values_list("pk", "hours")) == hours_before  # flags change no credit


def test_who_sees_the_review(org, client, modules):
    a, b = modules
    for n in range(8):
        record_heartbeat(org.teacher, a, start=n == 0, at=T0 + n * INTERVAL)
        record_heartbeat(org.teacher, b, start=n == 0, at=T0 + n * INTERVAL + 15 * S)
    other_trainer = make_user(district=org.district, roles=[Role.TRAINER], username="othertrainer")
    url = reverse("transcripts:study_review")
    name = org.teacher.shixun_profile.full_name
    for viewer, sees in [(org.trainer, True), (org.district_admin, True), (org.superuser, True),
                         (other_trainer, False), (org.foreign_district_admin, False)]:
        client.force_login(viewer)
        response = client.get(url)
        assert response.status_code == 200
        assert (name in response.content.decode()) is sees, viewer
    # The district finds the page in the site's header; a trainer in the course admin's menu.
    client.force_login(org.district_admin)
    assert f'href="{url}"' in client.get(reverse("transcripts:mine")).content.decode()
    client.force_login(org.trainer)
    assert url in client.get(reverse("wagtailadmin_home")).content.decode()
    # The trainer sees the list but not the transcript (a person's record is the school's and district's).
    client.force_login(org.trainer)
    assert reverse("transcripts:person", args=[org.teacher.pk]) not in client.get(url).content.decode()
    # Filters: another course, or a pattern not present, shows nothing.
    assert name not in client.get(url, {"kind": "quiz_fast"}).content.decode()
    for viewer in (org.teacher, org.school_admin, org.reviewer):
        client.force_login(viewer)
        assert client.get(url).status_code == 404
    client.logout()
    assert client.get(url).status_code == 302


def test_a_module_completed_minutes_after_enrolling_is_flagged(org, settings, django_capture_on_commit_callbacks):
    """3.0 hours stand for 135 study minutes: completing the module 2 minutes after enrolling is worth a look;
    completing it two hours after is not (a quarter of the minimum is the line)."""
    from shixun.courses.models import Enrolment, ModuleCompletion
    from tests.transcripts.helpers import complete

    settings.SHIXUN_STUDY_SECONDS_PER_MINUTE = 60
    course, (module,) = make_course(hours=("3.0",))
    course.trainers.add(org.trainer)
    course.save()
    enrol(org.teacher, course)
    enrol(org.sibling_teacher, course)
    with django_capture_on_commit_callbacks(execute=True):
        complete(org.teacher, module)
        complete(org.sibling_teacher, module)
    done = ModuleCompletion.objects.get(user=org.teacher, module=module).completed_at
    Enrolment.objects.filter(user=org.teacher).update(enrolled_at=done - timedelta(minutes=2))
    Enrolment.objects.filter(user=org.sibling_teacher).update(enrolled_at=done - timedelta(hours=2))
    hours_before = list(LedgerEntry.objects.values_list("pk", "hours"))
    (flag,) = study_flags(org.trainer, kind="module_fast")
    assert flag.learner.pk == org.teacher.pk and "2 分钟" in flag.explanation and "135 分钟" in flag.explanation
    assert study_flags(org.foreign_district_admin, kind="module_fast") == []
    assert list(LedgerEntry.objects.values_list("pk", "hours")) == hours_before
