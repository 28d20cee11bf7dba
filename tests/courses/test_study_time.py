"""Lesson study time: the crediting rule of heartbeats, the heartbeat endpoint, and no GET completing anything.

The test settings make a study minute last one second (SHIXUN_STUDY_SECONDS_PER_MINUTE = 1); the
heartbeat interval keeps its default (30 s, so one heartbeat credits at most 60 s).
"""

import json
import time
from decimal import Decimal

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from shixun.courses import enrolment as services
from shixun.courses import study
from shixun.courses.blocks import LESSON_KEY
from shixun.courses.models import ActivityProgress, ActivityStatus, ModuleCompletion, StudyTime
from shixun.courses.progress import NotEnrolled, record_activity_status
from shixun.courses.study import max_credit_ms, record_heartbeat, required_minutes, required_ms
from tests.concurrency import needs_postgres, run_together  # noqa: F401 - needs_postgres is a fixture
from tests.courses.conftest import make_catalogue, make_course, make_module

pytestmark = pytest.mark.django_db

T0 = 1_800_000_000_000  # a server clock, in epoch milliseconds


@pytest.fixture
def module(org, course):
    services.enrol_self(org.teacher, course)
    return course.live_modules().first()  # 2.0 hours: 90 study minutes (90 s here)


def active_ms(user, module) -> int:
    return StudyTime.objects.get(user=user, module=module).active_ms


def lesson_status(user, module):
    row = ActivityProgress.objects.filter(user=user, module=module, activity_key=LESSON_KEY).first()
    return row.status if row else None


# --- the minimum ----------------------------------------------------------------------


def test_a_module_asks_its_hours_times_the_conversion_or_the_trainers_minimum(course, settings):
    module = course.live_modules().first()
    assert module.credit_hours == Decimal("2.0") and module.study_minutes is None
    assert required_minutes(module) == 90  # 2 × 45
    settings.SHIXUN_MINUTES_PER_CREDIT_HOUR = 40
    assert required_minutes(module) == 80
    module.study_minutes = 25
    assert required_minutes(module) == 25
    assert required_ms(module) == 25 * 1000  # the test settings' one-second minute


def test_the_module_editor_says_what_a_blank_minimum_means_in_minutes(course, admin_client, settings):
    """A trainer deciding whether to set a minimum sees the district's conversion, not only "derived"."""
    module = course.live_modules().first()
    url = reverse("wagtailadmin_pages:edit", args=[module.pk])
    assert "每 1 学时需学习 45 分钟" in admin_client.get(url, HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    settings.SHIXUN_MINUTES_PER_CREDIT_HOUR = 40
    html = admin_client.get(url, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "Leave blank to derive it from the credit hours: 40 minutes of study per credit hour." in html


@pytest.mark.parametrize("active_s", [90 * 60, 90 * 60 + 29, 90 * 60 + 30, 90 * 60 + 59, 91 * 60 + 1])
def test_the_lesson_page_and_the_transcript_show_the_same_minutes(settings, active_s):
    """"已学习 N 分钟" on the lesson page is the transcript's (and the exports') figure, which rounds to nearest."""
    from shixun.transcripts.transcript import whole_minutes

    settings.SHIXUN_STUDY_SECONDS_PER_MINUTE = 60
    state = study.StudyState(active_ms=active_s * 1000 + 400, required_ms=90 * 60_000, lesson_done=True)
    assert state.active_minutes == whole_minutes(active_s)


# --- the crediting rule ---------------------------------------------------------------


def test_the_first_heartbeat_starts_the_clock_and_each_next_credits_the_time_since(org, module):
    assert record_heartbeat(org.teacher, module, at=T0).active_ms == 0
    assert record_heartbeat(org.teacher, module, at=T0 + 30_000).active_ms == 30_000
    assert record_heartbeat(org.teacher, module, at=T0 + 45_000).active_ms == 45_000
    assert StudyTime.objects.get().beats == 3


def test_a_burst_of_a_hundred_heartbeats_credits_the_second_it_lasted(org, module):
    record_heartbeat(org.teacher, module, at=T0)
    for n in range(1, 101):
        record_heartbeat(org.teacher, module, at=T0 + n * 10)
    assert active_ms(org.teacher, module) == 1000
    assert lesson_status(org.teacher, module) is None


def test_a_pause_longer_than_the_cap_credits_nothing_for_the_gap(org, module):
    assert max_credit_ms() == 60_000
    record_heartbeat(org.teacher, module, at=T0)
    record_heartbeat(org.teacher, module, at=T0 + 60_000)  # a late heartbeat still counts
    record_heartbeat(org.teacher, module, at=T0 + 60_000 + 60_001)  # the page was hidden: nothing
    assert active_ms(org.teacher, module) == 60_000
    record_heartbeat(org.teacher, module, at=T0 + 60_000 + 60_001 + 30_000)  # and the clock runs again
    assert active_ms(org.teacher, module) == 90_000


def test_two_tabs_share_one_clock(org, module):
    # Two tabs (or a phone and a computer), each beating every 30 s, 15 s apart, for ten minutes.
    record_heartbeat(org.teacher, module, at=T0)
    for n in range(1, 41):
        record_heartbeat(org.teacher, module, at=T0 + n * 15_000)
    assert active_ms(org.teacher, module) == 600_000  # ten minutes, not twenty


def test_an_out_of_order_heartbeat_credits_nothing_and_takes_nothing_back(org, module):
    record_heartbeat(org.teacher, module, at=T0)
    record_heartbeat(org.teacher, module, at=T0 + 20_000)
    record_heartbeat(org.teacher, module, at=T0 + 10_000)  # an earlier server time (another process)
    assert active_ms(org.teacher, module) == 20_000
    record_heartbeat(org.teacher, module, at=T0 + 30_000)
    assert active_ms(org.teacher, module) == 30_000
    assert StudyTime.objects.get().last_beat_ms == T0 + 30_000


def test_a_start_heartbeat_only_restarts_the_clock(org, module):
    record_heartbeat(org.teacher, module, at=T0)
    record_heartbeat(org.teacher, module, at=T0 + 20_000, start=True)  # the page was shown again
    assert active_ms(org.teacher, module) == 0
    record_heartbeat(org.teacher, module, at=T0 + 50_000)
    assert active_ms(org.teacher, module) == 30_000


def test_reaching_the_minimum_reports_the_lesson_done_once_and_completes_the_module(
    org, module, django_capture_on_commit_callbacks
):
    record_heartbeat(org.teacher, module, at=T0)
    state = record_heartbeat(org.teacher, module, at=T0 + 60_000)
    assert not state.lesson_done and state.remaining_minutes == 30
    assert not ModuleCompletion.objects.exists()
    with django_capture_on_commit_callbacks(execute=True):
        state = record_heartbeat(org.teacher, module, at=T0 + 90_000)
    assert state.lesson_done and state.module_completed
    assert lesson_status(org.teacher, module) == ActivityStatus.DONE
    completion = ModuleCompletion.objects.get(user=org.teacher, module=module)
    assert completion.credit_hours == Decimal("2.0")
    # Studying on: time still counts, nothing is reported or completed again.
    state = record_heartbeat(org.teacher, module, at=T0 + 120_000)
    assert state.lesson_done and not state.module_completed and state.active_ms == 120_000
    assert ModuleCompletion.objects.count() == 1 and StudyTime.objects.get().lesson_reported


def test_a_lowered_minimum_completes_at_the_next_heartbeat(org, module):
    record_heartbeat(org.teacher, module, at=T0)
    record_heartbeat(org.teacher, module, at=T0 + 40_000)
    module.study_minutes = 30
    module.save_revision().publish()
    assert record_heartbeat(org.teacher, module, at=T0 + 41_000).lesson_done
    assert ModuleCompletion.objects.filter(user=org.teacher, module=module).exists()


# --- over HTTP -------------------------------------------------------------------------


def _client(user, *, enforce_csrf=False):
    client = Client(enforce_csrf_checks=enforce_csrf)
    client.force_login(user)
    return client


def beat(client, module, body=None, **extra):
    return client.post(
        reverse("courses:study_heartbeat", args=[module.pk]),
        data=json.dumps(body if body is not None else {}), content_type="application/json", **extra,
    )


def test_opening_or_prefetching_a_module_records_it_opened_and_completes_nothing(org, module):
    client = _client(org.teacher)
    for headers in ({}, {"HTTP_SEC_PURPOSE": "prefetch"}, {"HTTP_PURPOSE": "prefetch"}):
        html = client.get(module.url, **headers).content.decode()
        assert "还需学习 90 分钟" in html
    assert lesson_status(org.teacher, module) == ActivityStatus.IN_PROGRESS
    assert not ModuleCompletion.objects.exists() and not StudyTime.objects.exists()
    assert f'data-heartbeat-url="{reverse("courses:study_heartbeat", args=[module.pk])}"' in html


def test_a_lesson_done_before_study_time_was_measured_keeps_its_status_and_hours(org, module):
    record_activity_status(org.teacher, module, LESSON_KEY, ActivityStatus.DONE)  # e.g. opened under the old rule
    html = _client(org.teacher).get(module.url).content.decode()
    assert lesson_status(org.teacher, module) == ActivityStatus.DONE
    assert ModuleCompletion.objects.filter(user=org.teacher, module=module).count() == 1
    assert "内容学习已完成" in html and 'data-done="1"' in html


def test_a_burst_of_heartbeats_cannot_complete_a_lesson_early(org, module):
    client = _client(org.teacher)
    client.get(module.url)
    started = time.monotonic()
    answers = [beat(client, module) for _ in range(100)]
    elapsed_ms = (time.monotonic() - started) * 1000
    assert all(a.status_code == 200 for a in answers)
    last = answers[-1].json()
    assert not last["lesson_done"] and last["required_seconds"] == 90
    assert active_ms(org.teacher, module) <= elapsed_ms
    assert lesson_status(org.teacher, module) == ActivityStatus.IN_PROGRESS
    assert not ModuleCompletion.objects.exists()


def test_two_tabs_credit_the_time_once(org, module):
    tabs = [_client(org.teacher), _client(org.teacher)]
    started = time.monotonic()
    for n in range(20):
        beat(tabs[n % 2], module, {"start": n < 2})
        time.sleep(0.02)
    elapsed_ms = (time.monotonic() - started) * 1000
    assert 0 < active_ms(org.teacher, module) <= elapsed_ms


def test_a_clock_in_the_future_credits_nothing_more(org, module):
    client = _client(org.teacher)
    started = time.monotonic()
    beat(client, module, {"start": True})
    answer = beat(client, module, {"at": 9_999_999_999_999, "now": "2099-01-01T00:00:00Z"}).json()
    assert answer["active_seconds"] * 1000 <= (time.monotonic() - started) * 1000 + 1000
    assert active_ms(org.teacher, module) <= (time.monotonic() - started) * 1000


def test_studying_the_minimum_over_http_completes_the_module(org, course):
    services.enrol_self(org.teacher, course)
    module = make_module(course, "短单元", hours="1.0", study_minutes=1)  # one study minute: a second here
    client = _client(org.teacher)
    first = beat(client, module, {"start": True}).json()
    assert first == {**first, "active_seconds": 0, "required_seconds": 1, "text": "还需学习 1 分钟",
                     "lesson_done": False}
    time.sleep(1.1)
    done = beat(client, module).json()
    assert done["lesson_done"] and done["module_completed"] and done["text"].startswith("内容学习已完成")
    assert ModuleCompletion.objects.filter(user=org.teacher, module=module).count() == 1


def test_refusals_are_clear_json_and_credit_nothing(org, course, module):
    url = reverse("courses:study_heartbeat", args=[module.pk])
    client = _client(org.teacher)

    response = Client().post(url, data="{}", content_type="application/json")
    assert response.status_code == 403 and response.json()["code"] == "login" and "登录" in response.json()["error"]
    response = client.get(url)
    assert response.status_code == 405 and response.json()["code"] == "method" and response["Allow"] == "POST"
    response = client.post(url, data="{not json", content_type="application/json")
    assert response.status_code == 400 and response.json()["error"] == "请求不是有效的 JSON。"
    for body in ([], "start", {"start": "yes"}):
        response = beat(client, module, body)
        assert response.status_code == 400 and response.json()["error"] == "学习计时请求的格式不正确。"
    response = client.post(url, data="x" * 2000, content_type="application/json")
    assert response.status_code == 413
    response = client.post(reverse("courses:study_heartbeat", args=[999_999]), data="{}",
                           content_type="application/json")
    assert response.status_code == 404 and response.json()["error"] == "该单元不存在或尚未发布。"
    draft = make_module(course, "草稿单元")
    draft.unpublish()
    assert beat(client, draft).status_code == 404

    outsider = _client(org.sibling_teacher)
    response = beat(outsider, module)
    assert response.status_code == 403 and response.json()["error"] == "你没有报名本课程。"
    services.withdraw(services.active_enrolment(org.teacher, course), actor=org.teacher)
    assert beat(client, module).status_code == 403
    assert not StudyTime.objects.exists() and not ActivityProgress.objects.exists()


def test_a_heartbeat_without_the_csrf_token_is_refused(org, module):
    client = _client(org.teacher, enforce_csrf=True)
    assert beat(client, module).status_code == 403
    assert not StudyTime.objects.exists()


def test_a_heartbeat_costs_a_small_fixed_number_of_queries_and_writes_no_session(org, module):
    client = _client(org.teacher)
    beat(client, module, {"start": True})  # the row exists: every later heartbeat is the same
    with CaptureQueriesContext(connection) as queries:
        response = beat(client, module)
    assert response.status_code == 200
    statements = [q["sql"] for q in queries.captured_queries]
    # The session (the test settings keep it in the database), the user, and the UPDATE that checks the
    # module and the enrolment itself (issue #18: the heartbeat must cost about what a one-query view does).
    assert len(statements) == 3, "\n".join(statements)
    assert statements[-1].startswith("UPDATE") and "shixun_courses_enrolment" in statements[-1]
    assert "sessionid" not in response.cookies


def _row(user, module) -> tuple:
    return StudyTime.objects.filter(user=user, module=module).values_list("beats", "active_ms", "last_beat_ms").get()


def test_a_learner_who_studied_then_withdrew_is_refused_and_credited_nothing(org, course, module):
    """The endpoint's one statement checks the enrolment itself: an existing row is no pass."""
    assert study.beat(org.teacher, module.pk, start=True, at=T0).active_ms == 0
    assert study.beat(org.teacher, module.pk, at=T0 + 30_000).active_ms == 30_000
    before = _row(org.teacher, module)
    services.withdraw(services.active_enrolment(org.teacher, course), actor=org.teacher)
    with pytest.raises(NotEnrolled):
        study.beat(org.teacher, module.pk, at=T0 + 60_000)
    response = beat(_client(org.teacher), module)
    assert response.status_code == 403 and response.json()["error"] == "你没有报名本课程。"
    assert _row(org.teacher, module) == before
    services.enrol_self(org.teacher, course)  # back later: the refused beats kept no clock running
    assert study.beat(org.teacher, module.pk, at=T0 + 200_000).active_ms == 30_000
    assert _row(org.teacher, module)[0] == before[0] + 1


def test_an_unpublished_module_is_refused_even_with_a_row(org, module):
    study.beat(org.teacher, module.pk, start=True, at=T0)
    before = _row(org.teacher, module)
    module.unpublish()
    with pytest.raises(study.NoSuchModule):
        study.beat(org.teacher, module.pk, at=T0 + 30_000)
    response = beat(_client(org.teacher), module)
    assert response.status_code == 404 and response.json()["code"] == "no_module"
    assert _row(org.teacher, module) == before


def test_a_beat_asks_the_same_minimum_as_the_module_to_the_minute(org, course):
    """The minimum comes back with the UPDATE; 2.2 h × 45 is 99 minutes (a float would make it 100)."""
    services.enrol_self(org.teacher, course)
    module = make_module(course, "两小时多", hours="2.2")
    assert required_minutes(module) == 99
    assert study.beat(org.teacher, module.pk, start=True, at=T0).required_ms == 99_000  # first beat: the read
    assert study.beat(org.teacher, module.pk, at=T0 + 1_000).required_ms == 99_000  # then the one statement
    module.study_minutes = 2
    module.save_revision().publish()
    state = study.beat(org.teacher, module.pk, at=T0 + 2_000)  # a changed minimum applies at the next beat
    assert state.required_ms == 2_000 and state.lesson_done and state.module_completed
    assert ModuleCompletion.objects.filter(user=org.teacher, module=module).count() == 1
    assert lesson_status(org.teacher, module) == ActivityStatus.DONE
    later = study.beat(org.teacher, module.pk, at=T0 + 3_000)
    assert later.lesson_done and not later.module_completed  # reported once


# --- under real concurrency (PostgreSQL) ------------------------------------------------------


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("needs_postgres")
def test_simultaneous_heartbeats_make_one_row_credit_once_and_complete_once(org):
    course = make_course(make_catalogue())
    module = make_module(course, hours="1.0", study_minutes=1)  # one study minute: 1 s here
    services.enrol_self(org.teacher, course)
    # Eight tabs' first heartbeats at once: one row, nobody fails.
    results = run_together(*[lambda: record_heartbeat(org.teacher, module, at=T0)] * 8)
    assert not [r for r in results if isinstance(r, Exception)], results
    assert StudyTime.objects.get(user=org.teacher, module=module).beats == 8
    # Then eight at the same later moment: the time since is credited once, the lesson reported once.
    results = run_together(*[lambda: record_heartbeat(org.teacher, module, at=T0 + 2_000)] * 8)
    assert not [r for r in results if isinstance(r, Exception)], results
    assert active_ms(org.teacher, module) == 2_000
    assert ModuleCompletion.objects.filter(user=org.teacher, module=module).count() == 1
    assert lesson_status(org.teacher, module) == ActivityStatus.DONE


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("needs_postgres")
def test_an_ordinary_beat_commits_without_waiting_for_the_disk_and_relaxes_nothing_else(org, settings):
    """SHIXUN_STUDY_ASYNC_COMMIT: only the beat's own autocommit transaction; never a caller's, never later ones."""
    from django.db import transaction

    course = make_course(make_catalogue())
    module = make_module(course, hours="1.0", study_minutes=1)
    services.enrol_self(org.teacher, course)

    def synchronous_commit() -> str:
        with connection.cursor() as cursor:
            cursor.execute("SHOW synchronous_commit")
            return cursor.fetchone()[0]

    with connection.cursor() as cursor:
        cursor.execute("SET synchronous_commit TO on")  # the test cluster runs with it off
    study.beat(org.teacher, module.pk, start=True, at=T0)
    with CaptureQueriesContext(connection) as queries:
        study.beat(org.teacher, module.pk, at=T0 + 500)
    assert "set_config('synchronous_commit', 'off', true)" in queries.captured_queries[0]["sql"]
    assert synchronous_commit() == "on"  # local to the beat's transaction: gone with its commit
    with transaction.atomic(), CaptureQueriesContext(connection) as queries:
        study.beat(org.teacher, module.pk, at=T0 + 700)
        assert synchronous_commit() == "on"  # a caller's transaction keeps its durable commit
    assert "set_config" not in queries.captured_queries[0]["sql"]
    state = study.beat(org.teacher, module.pk, at=T0 + 1_200)  # reaches the minimum: the report is durable
    assert state.module_completed and synchronous_commit() == "on"
    settings.SHIXUN_STUDY_ASYNC_COMMIT = False
    with CaptureQueriesContext(connection) as queries:
        study.beat(org.teacher, module.pk, at=T0 + 1_500)
    assert "set_config" not in queries.captured_queries[0]["sql"]
    with connection.cursor() as cursor:
        cursor.execute("RESET synchronous_commit")


def test_a_flood_of_heartbeats_is_answered_429_and_credits_nothing_more(org, module, settings):
    """Issue #17: per-user request limits also cover the heartbeat (SHIXUN_RATE_LIMIT_HEARTBEAT)."""
    from django.core.cache import cache

    settings.SHIXUN_RATE_LIMITS_ENABLED = True
    settings.SHIXUN_RATE_LIMIT_HEARTBEAT = "3/m"
    cache.clear()
    client = _client(org.teacher)
    codes = [beat(client, module).status_code for _ in range(3)]
    credited = active_ms(org.teacher, module)
    refused = beat(client, module)
    assert codes == [200, 200, 200]
    assert refused.status_code == 429 and int(refused["Retry-After"]) >= 1 and refused.json()["error"]
    assert active_ms(org.teacher, module) == credited
    cache.clear()


def test_the_course_page_says_how_long_a_begun_lesson_still_needs_as_its_module_page_does(org, course, module):
    """The course page's module list said only "进行中" for a lesson half studied: it now says what is left,
    the module page's own words and figure, read with the list's one query."""
    import re

    at = time.time_ns() // 1_000_000
    record_heartbeat(org.teacher, module, start=True, at=at)
    record_heartbeat(org.teacher, module, at=at + 30_000)  # 30 of the 90 study minutes (a minute is 1 s here)
    client = _client(org.teacher)
    module_page = client.get(module.url).content.decode()
    left = re.search(r'id="study-remaining">([^<]*)<', module_page).group(1)
    assert left == "还需学习 60 分钟", left

    course_page = client.get(course.url).content.decode()
    rows = {title: row for row in re.findall(r'<li class="card">(.*?)</li>', course_page, re.S)
            for title in ("职业道德规范解读", "十项准则") if title in row}
    badge = r'<span class="badge warn">进行中</span> <span class="muted">([^<]*)</span>'
    found = re.search(badge, rows["职业道德规范解读"])
    assert found and found.group(1) == left, rows["职业道德规范解读"]
    assert "还需学习" not in rows["十项准则"]  # not begun: nothing to say

    study.replay_study(org.teacher, module)  # studied: the lesson needs nothing more
    assert "还需学习" not in client.get(course.url).content.decode()
