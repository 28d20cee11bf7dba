"""Measure the learner write path in process: quiz submits and xAPI statements (not a test).

Run it explicitly (pytest collects only test_*.py, so the suite never runs it):

    DATABASE_URL=postgres://…/shixun_x nice -n 19 ionice -c3 .venv/bin/python -m pytest \
        tests/quizzes/measure_write_path.py -q -p no:cacheprovider -s

Warm Django test client, N requests through the whole middleware stack, as
the benchmark's quiz spike (a 10-question timed quiz, options shuffled, the
lesson already done) and xAPI ingestion (1-3 KB "answered" statements of
several learners) send them. Prints median and p90 wall time per request, the
queries per request (SHIXUN_MEASURE_QUERIES=0: not counted, no query log), the PostgreSQL
backend's CPU, and a cProfile of the hottest functions (SHIXUN_MEASURE_PROFILE=1 or =cpu). Timings are
printed, never asserted; the query budgets are asserted in the real tests.
"""

from __future__ import annotations

import cProfile
import io
import json
import os
import pstats
import random
import statistics
import time
import uuid

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from tests.factories import make_teacher

N = int(os.environ.get("SHIXUN_MEASURE_N", "200"))


LAST_QUERIES = {}


CPU = []


def _backend_cpu() -> float | None:
    """CPU seconds used so far by this connection's PostgreSQL backend (same machine, /proc), else None."""
    if connection.vendor != "postgresql":
        return None
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        pid = cursor.fetchone()[0]
    try:
        with open(f"/proc/{pid}/stat") as stat:
            fields = stat.read().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")  # utime + stime


def _report(name, timings, queries, profiler, backend=None):
    if os.environ.get("SHIXUN_MEASURE_SQL"):
        for q in LAST_QUERIES.get("sql", []):
            print("   ", q["sql"][:400])
    timings = sorted(timings)
    p90 = timings[int(len(timings) * 0.9) - 1]
    print(f"\n== {name}: n={len(timings)} median {statistics.median(timings) * 1000:.2f} ms, "
          f"p90 {p90 * 1000:.2f} ms, queries per request: min {min(queries)} median "
          f"{statistics.median(queries)} max {max(queries)}; CPU of this process per request: median "
          f"{statistics.median(CPU) * 1000:.2f} ms"
          + (f"; PostgreSQL backend CPU per request: mean {backend * 1000:.2f} ms" if backend is not None else "")
          + (f"; inside the transaction: wall median {statistics.median(SPAN.wall) * 1000:.2f} ms, CPU median "
             f"{statistics.median(SPAN.cpu) * 1000:.2f} ms" if SPAN.wall else ""))
    SPAN.wall.clear()
    SPAN.cpu.clear()
    CPU.clear()
    if profiler is not None and os.environ.get("SHIXUN_MEASURE_PROFILE"):
        if os.environ.get("SHIXUN_MEASURE_PROFILE_OUT"):
            profiler.dump_stats(os.environ["SHIXUN_MEASURE_PROFILE_OUT"])
        out = io.StringIO()
        order = os.environ.get("SHIXUN_MEASURE_SORT", "cumulative")
        pstats.Stats(profiler, stream=out).sort_stats(order).print_stats(45)
        print(out.getvalue())


def _profiler():
    """cProfile when SHIXUN_MEASURE_PROFILE is set; counting CPU time (not wall time: the machine is
    shared and waits for PostgreSQL are not the web's CPU) when it is "cpu"."""
    kind = os.environ.get("SHIXUN_MEASURE_PROFILE")
    if not kind:
        return None
    return cProfile.Profile(time.process_time) if kind == "cpu" else cProfile.Profile()


class _NotCounted(list):
    """SHIXUN_MEASURE_QUERIES=0: no query log, as in production (the log's text of a prepared
    statement, config.prepared, is composed on the client: a cost the site does not pay)."""

    captured_queries = ()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False


class _TransactionSpan:
    """Wall and CPU time from the request's SAVEPOINT to its RELEASE: the submit's transaction (in a
    test it is a savepoint of the test's transaction; BEGIN … COMMIT on the site)."""

    def __init__(self):
        self.wall, self.cpu, self.start = [], [], None

    def __call__(self, execute, sql, params, many, context):
        if sql.startswith("SAVEPOINT"):
            self.start = (time.perf_counter(), time.process_time())
        try:
            return execute(sql, params, many, context)
        finally:
            if sql.startswith("RELEASE SAVEPOINT") and self.start is not None:
                self.wall.append(time.perf_counter() - self.start[0])
                self.cpu.append(time.process_time() - self.start[1])
                self.start = None


SPAN = _TransactionSpan()


def _timed(client_call, profiler):
    counting = os.environ.get("SHIXUN_MEASURE_QUERIES", "1") != "0"
    with CaptureQueriesContext(connection) if counting else _NotCounted() as captured, \
            connection.execute_wrapper(SPAN):
        start, cpu = time.perf_counter(), time.process_time()
        if profiler is not None:
            response = profiler.runcall(client_call)
        else:
            response = client_call()
        elapsed = time.perf_counter() - start
        CPU.append(time.process_time() - cpu)
    LAST_QUERIES["sql"] = captured.captured_queries
    return response, elapsed, len(captured)


@pytest.mark.django_db
def test_measure_quiz_submit(org):
    from shixun.assessments.quizzes.services import start_attempt
    from shixun.courses.blocks import LESSON_KEY
    from shixun.courses.models import ActivityStatus, ModuleCompletion
    from shixun.courses.progress import record_activity_status

    from . import builders

    cat = builders.category("基准题库")
    wrong = ("有偿补课", "体罚学生", "收受家长礼品")
    questions = [builders.single(f"第{n}题：以下哪项符合教师职业道德规范？", cat=cat, wrong=wrong) for n in range(10)]
    quiz = builders.quiz(questions, title="基准测验（限时）", attempts_allowed=2, shuffle_options=True,
                         time_limit_minutes=30)
    course, module = builders.course_with_module([quiz])
    rng = random.Random(8)
    kits = []
    for n in range(N + 5):
        teacher = make_teacher(org.school, username=f"spike{n}")
        builders.enrol(teacher, course)
        record_activity_status(teacher, module, LESSON_KEY, ActivityStatus.DONE)
        attempt = start_attempt(teacher, quiz, module)
        passes = rng.random() < 0.8
        answers = {}
        for item in attempt.items.all():
            options = item.snapshot["options"]
            pick = next(o["id"] for o in options if o["correct"] is passes)
            answers[f"q-{item.pk}"] = str(pick)
        client = Client()
        client.force_login(teacher)
        kits.append((client, attempt, answers))
    for client, attempt, answers in kits[:5]:  # warm-up
        client.post(reverse("quizzes:submit", args=[attempt.pk]), answers)
    profiler = _profiler()
    timings, queries = [], []
    backend_start = _backend_cpu()
    for client, attempt, answers in kits[5:]:
        response, elapsed, count = _timed(
            lambda c=client, a=attempt, d=answers: c.post(reverse("quizzes:submit", args=[a.pk]), d), profiler
        )
        assert response.status_code == 302, response.content
        timings.append(elapsed)
        queries.append(count)
    backend_end = _backend_cpu()
    backend = None if backend_start is None else (backend_end - backend_start) / len(timings)
    _report("quiz submit (POST /quizzes/attempt/<id>/submit/)", timings, queries, profiler, backend)
    print("completions:", ModuleCompletion.objects.filter(module=module).count())


@pytest.mark.django_db
def test_measure_quiz_start_and_page(org):
    """The browsing mix's other two quiz steps (bench/scenarios.py quiz_step): start, then the attempt page."""
    from shixun.assessments.quizzes.models import Attempt
    from shixun.courses.blocks import LESSON_KEY
    from shixun.courses.models import ActivityStatus
    from shixun.courses.progress import record_activity_status

    from . import builders

    cat = builders.category("练习题库")
    questions = [builders.single(f"练习第{n}题：以下哪项符合教师职业道德规范？", cat=cat) for n in range(10)]
    quiz = builders.quiz(questions, title="练习测验", attempts_allowed=20, shuffle_options=True)
    course, module = builders.course_with_module([quiz])
    clients = []
    for n in range(N + 5):
        teacher = make_teacher(org.school, username=f"practice{n}")
        builders.enrol(teacher, course)
        record_activity_status(teacher, module, LESSON_KEY, ActivityStatus.DONE)
        client = Client()
        client.force_login(teacher)
        clients.append(client)
    start_url = reverse("quizzes:start", args=[module.pk, quiz.pk])
    for client in clients[:5]:  # warm-up
        client.get(reverse("quizzes:attempt", args=[client.post(start_url).url.rstrip("/").rsplit("/", 1)[1]]))
    for step in ("start", "page"):
        profiler = _profiler()
        timings, queries = [], []
        for n, client in enumerate(clients[5:], start=5):
            if step == "start":
                call = lambda c=client: c.post(start_url)  # noqa: E731
            else:
                attempt = Attempt.objects.get(learner__username=f"practice{n}")
                call = lambda c=client, a=attempt: c.get(reverse("quizzes:attempt", args=[a.pk]))  # noqa: E731
            response, elapsed, count = _timed(call, profiler)
            assert response.status_code == (302 if step == "start" else 200)
            timings.append(elapsed)
            queries.append(count)
        _report(f"quiz {step}", timings, queries, profiler)


def _statement(iri, rng):
    padding = "".join(rng.choice("师德规范教学反思课程标准") for _ in range(rng.randint(250, 900)))
    scaled = round(rng.random(), 2)
    return {
        "id": str(uuid.uuid4()),
        "verb": {"id": "http://adlnet.gov/expapi/verbs/answered", "display": {"en-US": "answered"}},
        "object": {"id": iri, "objectType": "Activity", "definition": {
            "name": {"zh-CN": "基准互动练习"}, "description": {"zh-CN": padding}, "interactionType": "choice",
            "type": "http://adlnet.gov/expapi/activities/cmi.interaction"}},
        "result": {"score": {"min": 0, "max": 10, "raw": round(scaled * 10, 1), "scaled": scaled},
                   "completion": True, "success": scaled >= 0.6, "duration": "PT12.5S"},
        "context": {"contextActivities": {"category": [{"id": "http://h5p.org/libraries/H5P.MultiChoice-1.16"}]},
                    "extensions": {"http://h5p.org/x-api/h5p-local-content-id": 1}},
    }


@pytest.mark.django_db
def test_measure_xapi(org, settings, tmp_path):
    from shixun.assessments.h5p.links import activity_iri, make_token
    from shixun.courses.models import Enrolment
    from tests.h5p.conftest import build_module, import_test_package

    settings.SHIXUN_H5P_ROOT = str(tmp_path / "h5p")
    settings.SHIXUN_H5P_CONTENT_ORIGIN = "http://127.0.0.1"
    content = import_test_package()
    activity = content.activity
    course, module = build_module(activity)
    learners = []
    for n in range(20):
        teacher = make_teacher(org.school, username=f"xapi{n}")
        Enrolment.objects.create(user=teacher, course=course)
        client = Client()
        client.force_login(teacher)
        token = make_token(user=teacher, activity=activity, module=module, content=content,
                           site_origin="http://testserver")
        learners.append((client, token))
    rng = random.Random(3)
    iri = activity_iri(activity.pk)

    def post(i):
        client, token = learners[i % len(learners)]
        body = json.dumps({"token": token, "statement": _statement(iri, rng)})
        return lambda: client.post("/h5p/xapi/", data=body, content_type="application/json")

    for i in range(40):  # warm-up, and the first statements of each learner (they change progress)
        post(i)()
    profiler = _profiler()
    timings, queries = [], []
    for i in range(N):
        response, elapsed, count = _timed(post(i), profiler)
        assert response.status_code == 200, response.content
        timings.append(elapsed)
        queries.append(count)
    _report("xAPI statement (POST /h5p/xapi/)", timings, queries, profiler)
