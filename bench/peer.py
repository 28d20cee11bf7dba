"""The peer: wagtail-lms from PyPI, in its own virtualenv, against Shixun on the same machine in the same run.

wagtail-lms is installed into bench/work/peer-venv (git-ignored) with the same
Django, Wagtail, psycopg and gunicorn versions as Shixun; a minimal Django
project for it is generated at run time under bench/work/peer/ (nothing of it
is committed). Its database is a separate database in the same PostgreSQL
cluster. Both sides get the same course: 20 lessons, a learner enrolled who
has completed 19 of them (per-lesson progress). Two measures:

- course page render: the course page with the learner's per-lesson progress,
  over HTTP through each project's gunicorn (same worker count), 100
  sequential requests after a warm-up, p50 and p95;
- completion check: the function each product runs after a lesson is
  completed to decide whether the whole course is now complete — Shixun's
  `courses.progress.complete_course_if_finished(user, course)` and
  wagtail-lms's `wagtail_lms.views._try_complete_course(user, course)` — in
  process, 200 calls with 19 of 20 lessons done (so both do the full check
  and write nothing), mean time and queries per call.
"""

# ruff: noqa: S603, S607 (starting the peer's own tools is what this module is for)

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
import textwrap

from bench import loadgen
from bench.loadgen import Recorder, Request, VirtualUser
from bench.services import REPO, WORK, wait_for_port

PEER_VENV = WORK / "peer-venv"
PEER_DIR = WORK / "peer"
PEER_PACKAGES = [
    "wagtail-lms==0.11.1",
    "Django==5.2.19",
    "wagtail==8.0.1",
    "psycopg[binary]==3.3.9",
    "gunicorn==27.0.1",
    "redis==8.1.0",
]
PEER_PORT = 8103
# Issue 18's target for the course page: at most 0.67 × wagtail-lms's time (1.5 × faster).
PAGE_RATIO_TARGET = 0.67

SETTINGS = """
import os
SECRET_KEY = "peer-" + "x" * 60
DEBUG = False
ALLOWED_HOSTS = ["127.0.0.1", "localhost"]
INSTALLED_APPS = [
    "wagtail_lms",
    "wagtail.contrib.forms", "wagtail.contrib.redirects", "wagtail.embeds", "wagtail.sites", "wagtail.users",
    "wagtail.snippets", "wagtail.documents", "wagtail.images", "wagtail.search", "wagtail.admin", "wagtail",
    "modelcluster", "taggit",
    "django.contrib.admin", "django.contrib.auth", "django.contrib.contenttypes", "django.contrib.sessions",
    "django.contrib.messages", "django.contrib.staticfiles",
]
MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "wagtail.contrib.redirects.middleware.RedirectMiddleware",
]
ROOT_URLCONF = "peer_urls"
TEMPLATES = [{
    "BACKEND": "django.template.backends.django.DjangoTemplates",
    "DIRS": [os.path.join(os.path.dirname(__file__), "templates")],
    "APP_DIRS": True,
    "OPTIONS": {"context_processors": [
        "django.template.context_processors.request", "django.contrib.auth.context_processors.auth",
        "django.contrib.messages.context_processors.messages",
    ]},
}]
DATABASES = {"default": {
    "ENGINE": "django.db.backends.postgresql", "NAME": "peer", "USER": "shixun", "HOST": "127.0.0.1",
    "PORT": os.environ["PEER_PG_PORT"], "CONN_MAX_AGE": 60, "CONN_HEALTH_CHECKS": True,
}}
CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache",
                      "LOCATION": os.environ["PEER_REDIS_URL"]}}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
USE_TZ = True
STATIC_URL = "/static/"
STATIC_ROOT = os.path.join(os.path.dirname(__file__), "static")
MEDIA_ROOT = os.path.join(os.path.dirname(__file__), "media")
WAGTAIL_SITE_NAME = "peer"
WAGTAILADMIN_BASE_URL = "http://127.0.0.1"
LOGGING = {"version": 1, "disable_existing_loggers": False, "handlers": {"c": {"class": "logging.StreamHandler"}},
           "root": {"handlers": ["c"], "level": "WARNING"}}
"""

URLS = """
from django.urls import include, path
from wagtail import urls as wagtail_urls

urlpatterns = [path("lms/", include("wagtail_lms.urls")), path("", include(wagtail_urls))]
"""

BASE_TEMPLATE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>{% block title %}{% endblock %}</title></head>
<body>{% block content %}{% endblock %}</body></html>
"""

# Runs inside the peer's virtualenv: builds the course and times the completion check.
PEER_SIDE = """
import json, sys, time
import django
django.setup()
from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY, get_user_model
from django.contrib.sessions.backends.db import SessionStore
from django.db import connection
from django.test.utils import CaptureQueriesContext
from wagtail.models import Page, Site
from wagtail_lms.models import CoursePage, CourseEnrollment, H5PActivity, H5PAttempt, H5PLessonCompletion, H5PLessonPage
from wagtail_lms import views

LESSONS = 20
command = sys.argv[1]
User = get_user_model()
if command == "build":
    root = Site.objects.get(is_default_site=True).root_page
    course = CoursePage.objects.filter(slug="peer-course").first()
    if course is None:
        course = root.add_child(instance=CoursePage(title="Peer course", slug="peer-course",
                                                    description="<p>" + "Lesson text. " * 40 + "</p>"))
    # Activities are created without their package (bulk_create skips the
    # model's save(), which extracts an uploaded .h5p): the completion
    # check only needs their rows.
    activities = list(H5PActivity.objects.filter(title__startswith="peer-activity"))
    if not activities:
        activities = H5PActivity.objects.bulk_create(
            [H5PActivity(title=f"peer-activity-{n}", package_file="h5p/none.h5p", main_library="H5P.MultiChoice 1.16")
             for n in range(LESSONS)])
    lessons = list(H5PLessonPage.objects.child_of(course).order_by("path"))
    for n in range(len(lessons), LESSONS):
        lessons.append(course.add_child(instance=H5PLessonPage(
            title=f"Lesson {n + 1}", slug=f"lesson-{n + 1}", intro="<p>" + "Lesson text. " * 40 + "</p>",
            body=[("paragraph", "<p>" + "Lesson text. " * 40 + "</p>"),
                  ("h5p_activity", {"activity": activities[n]})])))
    user, _ = User.objects.get_or_create(username="peer-learner")
    CourseEnrollment.objects.get_or_create(user=user, course=course)
    for lesson, activity in list(zip(lessons, activities))[: LESSONS - 1]:
        H5PAttempt.objects.update_or_create(user=user, activity=activity, defaults={"completion_status": "completed"})
        H5PLessonCompletion.objects.get_or_create(user=user, lesson=lesson)
    store = SessionStore()
    store[SESSION_KEY] = str(user.pk)
    store[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
    store[HASH_SESSION_KEY] = user.get_session_auth_hash()
    store.create()
    print("BENCH-JSON: " + json.dumps({"url": course.url, "session": store.session_key, "user_id": user.pk,
                                       "course_id": course.pk}))
elif command == "check":
    user = User.objects.get(username="peer-learner")
    course = CoursePage.objects.get(slug="peer-course")
    calls = int(sys.argv[2])
    views._try_complete_course(user, course)
    with CaptureQueriesContext(connection) as queries:
        start = time.perf_counter()
        for _ in range(calls):
            views._try_complete_course(user, course)
        elapsed = time.perf_counter() - start
    completed = CourseEnrollment.objects.get(user=user, course=course).completed_at is not None
    print("BENCH-JSON: " + json.dumps({"ms": elapsed / calls * 1000, "queries": len(queries) / calls,
                                       "completed": completed}))
"""


def ensure_venv() -> str:
    python = PEER_VENV / "bin" / "python"
    if not python.exists():
        subprocess.run([sys.executable, "-m", "venv", str(PEER_VENV)], check=True, timeout=300)
    subprocess.run(
        [str(python), "-m", "pip", "install", "--quiet", *PEER_PACKAGES],
        check=True,
        timeout=900,
        capture_output=True,
    )
    out = subprocess.run(
        [str(python), "-c", "import importlib.metadata as m; print(m.version('wagtail-lms'))"],
        capture_output=True,
        text=True,
        check=True,
    )
    return out.stdout.strip()


def write_project() -> None:
    (PEER_DIR / "templates").mkdir(parents=True, exist_ok=True)
    (PEER_DIR / "peer_settings.py").write_text(textwrap.dedent(SETTINGS))
    (PEER_DIR / "peer_urls.py").write_text(textwrap.dedent(URLS))
    (PEER_DIR / "templates" / "base.html").write_text(BASE_TEMPLATE)
    (PEER_DIR / "peer_side.py").write_text(PEER_SIDE)


def peer_env(pg_port: str, redis_url: str) -> dict:
    return {
        "PATH": "/usr/bin:/bin",
        "DJANGO_SETTINGS_MODULE": "peer_settings",
        "PYTHONPATH": str(PEER_DIR),
        "PEER_PG_PORT": pg_port,
        "PEER_REDIS_URL": redis_url.replace("/0", "/2"),
        "PYTHONUNBUFFERED": "1",
    }


def peer_json(env: dict, *args: str) -> dict:
    proc = subprocess.run(
        [str(PEER_VENV / "bin" / "python"), str(PEER_DIR / "peer_side.py"), *args],
        env=env,
        cwd=PEER_DIR,
        capture_output=True,
        text=True,
        timeout=600,
    )
    for line in reversed(proc.stdout.splitlines()):
        if line.startswith("BENCH-JSON: "):
            return json.loads(line[len("BENCH-JSON: ") :])
    raise RuntimeError(f"peer {args[0]} failed: {(proc.stderr.strip().splitlines() or ['no output'])[-1]}")


def course_page_latency(base_url: str, url: str, session: str) -> dict:
    async def body():
        connector = loadgen.new_connector()
        user = await loadgen.open_user(base_url, VirtualUser(session_key=session), connector)
        try:
            for _ in range(10):
                await loadgen.send(user, Request("course", "GET", url), Recorder())
            recorder = Recorder()
            for _ in range(100):
                await loadgen.send(user, Request("course", "GET", url), recorder)
            return recorder.summary()
        finally:
            await loadgen.close_users([user])
            await connector.close()

    return asyncio.run(body())


def run(ctx) -> None:
    """The peer scenario (PostgreSQL phase only: Shixun's gunicorn is up)."""
    import psycopg

    key = "peer"
    report = ctx.report
    pg_url = ctx.env["DATABASE_URL"]
    pg_port = pg_url.rsplit(":", 1)[1].split("/")[0]
    try:
        version = ensure_venv()
    except (subprocess.CalledProcessError, subprocess.TimeoutExpired) as error:
        ctx.not_measured(key, f"wagtail-lms could not be installed into {PEER_VENV}: {error}")
        return
    write_project()
    with psycopg.connect(pg_url, autocommit=True) as conn:
        conn.execute("DROP DATABASE IF EXISTS peer")
        conn.execute("CREATE DATABASE peer")
    env = peer_env(pg_port, ctx.env["REDIS_URL"])
    log = WORK / "logs" / "peer-manage.log"
    with open(log, "ab") as out:
        for args in (["migrate", "--noinput"], ["collectstatic", "--noinput"]):
            subprocess.run(
                [str(PEER_VENV / "bin" / "django-admin"), *args],
                env=env,
                cwd=PEER_DIR,
                check=True,
                stdout=out,
                stderr=subprocess.STDOUT,
                timeout=600,
            )
    peer = peer_json(env, "build")
    (PEER_DIR / "peer_wsgi.py").write_text(
        "from django.core.wsgi import get_wsgi_application\n\napplication = get_wsgi_application()\n"
    )
    services = ctx.run.services
    proc = services.spawn(
        "gunicorn-peer",
        [
            str(PEER_VENV / "bin" / "gunicorn"),
            "peer_wsgi:application",
            "--bind",
            f"127.0.0.1:{PEER_PORT}",
            "--workers",
            str(ctx.run.gunicorn_workers),
            "--worker-class",
            "sync",
            "--log-level",
            "warning",
        ],
        env=env,
        cwd=PEER_DIR,
    )
    try:
        wait_for_port(PEER_PORT, timeout=60, proc=proc)
        peer_page = course_page_latency(f"http://127.0.0.1:{PEER_PORT}", peer["url"], peer["session"])
        peer_check = peer_json(env, "check", "200")
    finally:
        services.stop("gunicorn-peer")
    shixun = ctx.run.django(ctx.env, "peer_course", {"lessons": 20, "calls": 200})
    shixun_page = course_page_latency(ctx.base_url, shixun["url"], shixun["session"])
    ok = shixun_page["errors"] == 0 and peer_page["errors"] == 0
    ctx.report.row(
        "peer",
        key,
        "course page render, 20 lessons with progress (p50 of 100, HTTP)",
        shixun_page["p50_ms"],
        "ms",
        baseline=peer_page["p50_ms"],
        baseline_label=f"wagtail-lms {version}, ms",
        # Issue 18: at most 0.67 × wagtail-lms (1.5 × faster), not merely faster.
        target="≤ 0.67 × wagtail-lms",
        passed=ok and shixun_page["p50_ms"] <= PAGE_RATIO_TARGET * peer_page["p50_ms"],
    )
    ctx.report.row(
        "peer",
        key,
        "course page render p95",
        shixun_page["p95_ms"],
        "ms",
        baseline=peer_page["p95_ms"],
        baseline_label=f"wagtail-lms {version}, ms",
        target="≤ 0.67 × wagtail-lms",
        passed=ok and shixun_page["p95_ms"] <= PAGE_RATIO_TARGET * peer_page["p95_ms"],
    )
    ctx.report.row(
        "peer",
        key,
        "course completion check, 19 of 20 lessons done (mean of 200, in process)",
        round(shixun["ms"], 3),
        "ms",
        baseline=round(peer_check["ms"], 3),
        baseline_label=f"wagtail-lms {version}, ms",
        target="Shixun faster",
        passed=shixun["ms"] < peer_check["ms"] and not shixun["completed"] and not peer_check["completed"],
    )
    report.detail(
        key,
        f"wagtail-lms {version} in its own virtualenv (Django, Wagtail, psycopg and gunicorn at Shixun's versions), a "
        f"generated project with DEBUG off, Redis cache, database `peer` in the same PostgreSQL cluster, "
        f"{ctx.run.gunicorn_workers} sync workers like Shixun's. Course page: Shixun {shixun['url']} "
        f"({shixun_page['count']} requests, {shixun_page['errors']} errors, {shixun['page_bytes']:,} bytes), "
        f"wagtail-lms {peer['url']} ({peer_page['count']} requests, {peer_page['errors']} errors). Completion check "
        f"queries per call: Shixun {shixun['queries']:.0f}, wagtail-lms {peer_check['queries']:.0f}. The peer's "
        "lessons each hold one H5P activity (its per-lesson progress is H5P-driven); Shixun's modules hold lesson "
        "text (progress LESSON_KEY). Neither check completed the course (19 of 20 done), so every call does the "
        "whole check.",
    )


__all__ = ["run", "REPO"]
