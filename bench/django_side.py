"""The parts of the benchmark that run inside Django: data generation and in-process measurements.

run.py calls `python -m bench.django_side COMMAND 'JSON ARGS'` with the
benchmark settings (bench/services.py:django_env); the command prints its
result as one line `BENCH-JSON: {...}` on stdout. Data is created through
the apps' own models and services (bulk inserts where the volume calls for
it, e.g. 20,000 teachers and 500,000 ledger entries), never by hand-written
SQL against another app's tables, except the COPY that loads the ledger rows
in bulk (the same columns LedgerEntry.objects.bulk_create would write).
"""

# ruff: noqa: S608 (SQL built only from the models' own table names; values are always parameters)

from __future__ import annotations

import io
import json
import os
import random
import resource
import secrets
import sys
import time
import uuid
from datetime import date, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import django

REPO = Path(__file__).resolve().parents[1]
TEACHER_PASSWORD = "bench-Shixun-2026"  # noqa: S105 (generated benchmark accounts on a throw-away database)


def emit(result) -> None:
    print("BENCH-JSON: " + json.dumps(result, default=str, ensure_ascii=False), flush=True)


def rss_mb() -> float:
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)


# --- the world ------------------------------------------------------------------------------


def build_world(args: dict) -> dict:
    """District, schools, teachers, a course with a lesson, a quiz and an H5P module, enrolments, sessions."""
    from django.contrib.auth import get_user_model
    from django.contrib.auth.hashers import make_password
    from django.contrib.auth.models import Group
    from django.db import transaction

    from shixun.accounts.models import District, Profile, Role, School, TeacherCategory

    User = get_user_model()

    timings = {}
    started = time.monotonic()
    teachers_total = args["teachers"]
    district, _ = District.objects.get_or_create(code="bench", defaults={"name": "基准区"})
    category = TeacherCategory.objects.order_by("pk").first() or TeacherCategory.objects.create(
        code="in_service", name="在职教师"
    )
    # Schools: the two dashboard sizes, then schools of 1,000 until the district has `teachers`.
    sizes = [("bench-s200", args["small_school"]), ("bench-s2000", args["big_school"])]
    rest = teachers_total - sum(n for _, n in sizes)
    index = 1
    while rest > 0:
        sizes.append((f"bench-x{index:02d}", min(1000, rest)))
        rest -= 1000
        index += 1
    password = make_password(TEACHER_PASSWORD)  # hashed once: 20,000 PBKDF2 runs would take an hour
    schools = {}
    with transaction.atomic():
        for code, count in sizes:
            school, _ = School.objects.get_or_create(district=district, code=code, defaults={"name": f"基准学校{code}"})
            schools[code] = school
            existing = User.objects.filter(shixun_profile__school=school).count()
            users = User.objects.bulk_create(
                [
                    User(username=f"{code}-t{n:05d}", email=f"{code}-t{n:05d}@bench.invalid", password=password)
                    for n in range(existing, count)
                ],
                batch_size=2000,
            )
            if users and users[0].pk is None:  # SQLite before 3.35 returns no ids from bulk_create
                by_name = dict(User.objects.filter(username__startswith=f"{code}-t").values_list("username", "pk"))
                for user in users:
                    user.pk = by_name[user.username]
            # Teacher data lives on accounts.Profile (one row per user), as the apps read it (profile_of).
            Profile.objects.bulk_create(
                [
                    Profile(
                        user_id=user.pk,
                        full_name=f"教师{code[-4:]}{n:05d}",
                        staff_number=f"{code}-{n:05d}",
                        school=school,
                        district=district,
                    )
                    for n, user in enumerate(users, start=existing)
                ],
                batch_size=2000,
            )
        through = Profile.categories.through
        have = set(through.objects.filter(teachercategory=category).values_list("profile_id", flat=True))
        through.objects.bulk_create(
            [
                through(profile_id=pk, teachercategory_id=category.pk)
                for pk in Profile.objects.filter(district=district, school__isnull=False).values_list("pk", flat=True)
                if pk not in have
            ],
            batch_size=5000,
        )
        admins = {}
        for code in ("bench-s200", "bench-s2000"):
            admin = staff_user(f"{code}-admin", password, full_name="校管理员", school=schools[code], district=district)
            admin.groups.add(Group.objects.get_or_create(name=Role.SCHOOL_ADMIN.value)[0])
            admins[code] = admin
        district_admin = staff_user("bench-district-admin", password, full_name="区管理员", district=district)
        district_admin.groups.add(Group.objects.get_or_create(name=Role.DISTRICT_ADMIN.value)[0])
    timings["teachers_s"] = round(time.monotonic() - started, 1)

    course_info = build_course(args)
    timings["course_s"] = round(time.monotonic() - started - timings["teachers_s"], 1)

    # Learners: the first teachers of the big school browse; the next ones take the quiz spike.
    teachers = list(
        User.objects.filter(shixun_profile__school=schools["bench-s2000"]).order_by("pk").values_list("pk", flat=True)
    )
    browse_ids = teachers[: args["browse_users"]]
    spike_ids = teachers[args["browse_users"] : args["browse_users"] + args["spike_users"]]
    enrol(course_info["course_id"], browse_ids + spike_ids)
    learners = {
        "browse": [learner_kit(pk, course_info) for pk in browse_ids],
        "spike": prepare_spike(spike_ids, course_info, args.get("spike_pass_share", 0.8)),
    }
    timings["learners_s"] = round(time.monotonic() - started - sum(timings.values()), 1)

    entries = load_ledger(args["entries"], district, category)
    timings["ledger_s"] = round(time.monotonic() - started - sum(timings.values()), 1)
    mix = build_mix_world(district, schools, course_info, learners["browse"])
    timings["mix_s"] = round(time.monotonic() - started - sum(timings.values()), 1)
    return {
        "district": district.code,
        "district_id": district.pk,
        "schools": {code: {"id": s.pk, "teachers": n} for (code, n), s in zip(sizes, schools.values(), strict=True)},
        "school_admins": {code: session_for(a) for code, a in admins.items()},
        "district_admin": session_for(district_admin),
        "teachers": Profile.objects.filter(district=district, school__isnull=False).count(),
        "ledger_entries": entries,
        "course": course_info,
        "learners": learners,
        "mix": mix,
        "timings": timings,
    }


# --- the mixed-browsing world (issue 18: the new pages of this wave) ----------------------------


MIX_SESSION_TITLES = ("基准研修活动（今日）", "基准研修活动（明日）", "基准研修活动（下周）")


def build_mix_world(district, schools: dict, course: dict, kits: list[dict]) -> dict:
    """What the new pages of the browsing mix need, made through the apps' services; idempotent.

    Each part is independent: a part whose app fails here is listed under "skipped" and the
    browsing scenario leaves its requests out (saying so), as build_course does for quiz and H5P.
    The per-learner paths go into the browse kits (the journal page is each teacher's own).
    """
    mix: dict = {"skipped": {}}
    for name, part in (
        ("heartbeat", mix_heartbeats),
        ("sessions", mix_sessions),
        ("shadowing", mix_shadowing),
        ("inbox", mix_inbox),
        ("report", mix_report),
        ("training_file", mix_training_file),
    ):
        try:
            mix.update(part(district=district, schools=schools, course=course, kits=kits, mix=mix) or {})
        except Exception as error:  # noqa: BLE001 - reported as "left out" by the scenario, with the reason
            mix["skipped"][name] = f"{type(error).__name__}: {error}"
    return mix


def mix_heartbeats(*, course, **_) -> dict:
    """The heartbeat URL of every module page the mix opens (a heartbeat goes to the module last opened)."""
    from django.urls import reverse

    pairs = [("lesson_url", "lesson_id"), ("practice_module_url", "practice_module_id"),
             ("h5p_module_url", "h5p_module_id")]
    return {"heartbeat_urls": {course[url]: reverse("courses:study_heartbeat", args=[course[pk]])
                               for url, pk in pairs if url in course}}


def mix_sessions(*, course, kits, **_) -> dict:
    """Three sessions of the bench course (today all day, tomorrow, next week): the dashboard's upcoming
    panel, the learner's session page and the sign-in page (a GET: nobody signs in here)."""
    from datetime import time as clock

    from django.urls import reverse
    from django.utils import timezone

    from shixun.accounts.actors import SYSTEM
    from shixun.attendance import services
    from shixun.attendance.models import Session
    from shixun.courses.models import CoursePage

    bench_course = CoursePage.objects.get(pk=course["course_id"])
    today = timezone.localdate()
    made = []
    for title, offset in zip(MIX_SESSION_TITLES, (0, 1, 7), strict=True):
        day = today + timedelta(days=offset)
        session = Session.objects.filter(course=bench_course, title=title, date=day).first()
        if session is None:
            # Today's is open for sign-in all day (the browsing run may be at any hour); a 10-minute code step.
            session = services.save_session(SYSTEM, Session(
                course=bench_course, title=title, venue="区教师发展中心报告厅", date=day,
                starts_at=clock(0, 5) if offset == 0 else clock(14, 0), ends_at=clock(23, 59) if offset == 0 else
                clock(17, 0), sign_in_opens=clock(0, 0) if offset == 0 else None,
                sign_in_closes=clock(23, 50) if offset == 0 else None, hours=Decimal("3"), code_seconds=600,
            ))
        made.append(session)
    return {
        "session_ids": [s.pk for s in made],
        "today_session_id": made[0].pk,
        "my_sessions_url": reverse("attendance:my_sessions"),
        "scan_path": mix_scan_path({"session_id": made[0].pk})["path"],
    }


def mix_scan_path(args: dict) -> dict:
    """The sign-in page of the session as its QR code names it now (the browsing run asks again before it starts)."""
    from django.urls import reverse

    from shixun.attendance import rules
    from shixun.attendance.models import Session

    session = Session.objects.get(pk=args["session_id"])
    return {"path": reverse("attendance:scan", args=[rules.token_for(session, rules.current_step(session))])}


def mix_shadowing(*, district, schools, kits, **_) -> dict:
    """A running shadowing programme with every browse learner as a visiting teacher (nominated by their school,
    placed at a base school of the district with a mentor) and a few journal days each."""
    from django.contrib.auth import get_user_model
    from django.urls import reverse
    from django.utils import timezone

    from shixun.accounts.actors import SYSTEM
    from shixun.accounts.models import Subject
    from shixun.shadowing import rules, services
    from shixun.shadowing.models import BaseSchool, JournalDay, Participant, Programme, Stage

    User = get_user_model()
    today = timezone.localdate()
    subject, _ = Subject.objects.get_or_create(name="语文")
    programme = Programme.objects.filter(district=district, title="基准跟岗研修").first()
    if programme is None:
        programme = services.create_programme(
            SYSTEM, district, title="基准跟岗研修", start_date=today - timedelta(days=21),
            end_date=today + timedelta(days=21), subjects=[subject], quota_per_school_stage=max(1, len(kits)),
            max_age=None,
        )
    # A base school takes at most 50 per subject (services.add_place): one base school per 50 visitors,
    # the district's other schools (the visitors all teach at the big school).
    hosts = [school for code, school in schools.items() if code != "bench-s2000"]
    per_base = 50
    bases = []
    for n, school in enumerate(hosts[: -(-len(kits) // per_base)]):
        services.add_place(SYSTEM, programme, school=school, subject=subject, places=per_base)
        mentor = User.objects.filter(shixun_profile__school=school).order_by("pk").first()
        bases.append((BaseSchool.objects.get(programme=programme, school=school), mentor, n))
    home_school = schools["bench-s2000"]
    days = [d for d in (today - timedelta(days=k) for k in range(1, 15)) if rules.is_working_day(programme, d)][:3]
    have = dict(Participant.objects.filter(programme=programme).values_list("teacher_id", "pk"))
    for index, kit in enumerate(kits):
        participant_id = have.get(kit["user_id"])
        if participant_id is None:
            teacher = User.objects.get(pk=kit["user_id"])
            participant = services.nominate(
                SYSTEM, programme, teacher=teacher, school=home_school, stage=Stage.PRIMARY, subject=subject,
                birth_date=date(1988, 1, 1) + timedelta(days=index),
            )
            base, mentor, _n = bases[index // per_base]
            participant = services.assign_mentor(SYSTEM, participant, base, mentor)
            for day in days:
                services.save_journal(
                    teacher, participant, day=day,
                    text=f"{day:%m月%d日}：上午听导师的课，观察课堂提问的层次与小组合作的组织；下午参加教研组集体备课，"
                    "讨论单元整体教学设计。收获：提问要有梯度，评价要及时具体。",
                )
            participant_id = participant.pk
        kit["shadowing_url"] = reverse("shadowing:workspace", args=[participant_id])
    return {"programme_id": programme.pk, "journal_days": JournalDay.objects.filter(
        participant__programme=programme).count()}


def mix_inbox(*, kits, mix, **_) -> dict:
    """A few messages in each browse learner's inbox, sent as the apps send them (inbox.notices)."""
    from django.contrib.auth import get_user_model
    from django.urls import reverse
    from django.utils import timezone

    from shixun.attendance.models import Session
    from shixun.inbox import notices
    from shixun.shadowing.models import Participant

    User = get_user_model()
    tomorrow = Session.objects.filter(pk__in=mix.get("session_ids", []), date=timezone.localdate() + timedelta(days=1))
    tomorrow = tomorrow.first()
    participants = {p.teacher_id: p for p in Participant.objects.filter(teacher_id__in=[k["user_id"] for k in kits])}
    today = timezone.localdate()
    week = f"{today:%G-W%V}"
    for user in User.objects.filter(pk__in=[k["user_id"] for k in kits]):
        notices.weekly_reminder(user, week, reverse("courses:dashboard"))
        if tomorrow is not None:
            notices.session_tomorrow(user, tomorrow)
        if user.pk in participants:
            for back in (1, 2):
                notices.shadowing_journal_missing(participants[user.pk], today - timedelta(days=back))
    return {"inbox_url": reverse("inbox:inbox")}


def mix_report(*, district, **_) -> dict:
    """The district's annual report for this year, computed once (reports.jobs.run, as its task does)."""
    from django.urls import reverse
    from django.utils import timezone

    from shixun.reports import jobs
    from shixun.reports.models import AnnualReport

    year = timezone.localdate().year
    if not AnnualReport.objects.filter(district=district, year=year, status=AnnualReport.Status.DONE).exists():
        jobs.run(district.pk, year)
    return {"report_url": reverse("reports:district_report", kwargs={"code": district.code, "year": year})}


def mix_training_file(**_) -> dict:
    from django.urls import reverse

    return {"training_file_url": reverse("transcripts:mine_file")}


def staff_user(username: str, password: str, **profile):
    """A user with its Profile row (school admin, district admin), created once."""
    from django.contrib.auth import get_user_model

    from shixun.accounts.models import Profile

    user, _ = get_user_model().objects.get_or_create(username=username, defaults={"password": password})
    Profile.objects.update_or_create(user=user, defaults=profile)
    return user


def build_course(args: dict) -> dict:
    """A live course with: a lesson module, a module with a 10-question quiz, an H5P module, and a browse quiz."""
    from wagtail.models import Page, Site

    from shixun.courses.models import CataloguePage, CourseCategory, CoursePage, ModulePage

    site = Site.objects.get(is_default_site=True)
    root = site.root_page.specific
    catalogue = CataloguePage.objects.filter(slug="bench-catalogue").first()
    if catalogue is None:
        catalogue = root.add_child(instance=CataloguePage(title="基准课程中心", slug="bench-catalogue"))
    category, _ = CourseCategory.objects.get_or_create(slug="bench-ethics", defaults={"name": "基准师德"})
    course = CoursePage.objects.filter(slug="bench-course").first()
    if course is None:
        course = catalogue.add_child(
            instance=CoursePage(
                title="师德师风建设（基准）",
                slug="bench-course",
                summary="新时代中小学教师职业行为十项准则解读。",
                category=category,
            )
        )
    lesson_text = "".join(
        f"<p>第{n}节：爱岗敬业，关爱学生，为人师表。教师应当坚定政治方向，自觉爱国守法。</p>" for n in range(12)
    )

    def module(slug, title, body):
        page = ModulePage.objects.child_of(course).filter(slug=slug).first()
        if page is None:
            page = course.add_child(
                instance=ModulePage(title=title, slug=slug, credit_hours=Decimal("2.0"), introduction=title, body=body)
            )
        return page

    lesson = module("lesson", "第一单元 职业道德规范", [("paragraph", lesson_text)])
    info = {"course_id": course.pk, "course_url": course.url, "lesson_id": lesson.pk, "lesson_url": lesson.url}
    try:
        from django.urls import reverse

        info["heartbeat_url"] = reverse("courses:study_heartbeat", args=[lesson.pk])
    except Exception:  # noqa: BLE001, S110 - a checkout without study time: the scenario says "not measured"
        pass
    info["skipped"] = {}
    try:
        spike_quiz = make_quiz("基准测验（限时）", attempts=2)
        browse_quiz = make_quiz("基准练习（可多次）", attempts=20)
        quiz_module = module(
            "quiz",
            "第二单元 测验",
            [("paragraph", lesson_text[:400]), ("quiz", {"quiz": spike_quiz, "required": True})],
        )
        practice = module(
            "practice",
            "第三单元 练习",
            [("paragraph", lesson_text[:400]), ("quiz", {"quiz": browse_quiz, "required": False})],
        )
        info.update(
            quiz_module_id=quiz_module.pk,
            quiz_module_url=quiz_module.url,
            spike_quiz_id=spike_quiz.pk,
            practice_module_id=practice.pk,
            practice_module_url=practice.url,
            browse_quiz_id=browse_quiz.pk,
        )
    except Exception as error:  # the quiz app may not have landed
        info["skipped"]["quiz"] = f"{type(error).__name__}: {error}"
    try:
        activity, content = make_h5p()
        h5p_module = module(
            "h5p",
            "第四单元 互动练习",
            [("paragraph", lesson_text[:400]), ("h5p", {"activity": activity, "required": True})],
        )
        from shixun.assessments.h5p.links import activity_iri

        info.update(
            h5p_module_id=h5p_module.pk,
            h5p_module_url=h5p_module.url,
            h5p_activity_id=activity.pk,
            h5p_content_id=content.pk,
            h5p_iri=activity_iri(activity.pk),
        )
    except Exception as error:
        info["skipped"]["h5p"] = f"{type(error).__name__}: {error}"
    Page.objects.filter(pk=course.pk)  # (pages are created live; no revision needed for serving)
    return info


def make_quiz(title: str, *, attempts: int):
    from shixun.assessments.quizzes.models import Question, QuestionCategory, QuestionOption, Quiz, QuizQuestion

    quiz = Quiz.objects.filter(title=title).first()
    if quiz is not None:
        return quiz
    category, _ = QuestionCategory.objects.get_or_create(name="基准题库")
    quiz = Quiz.objects.create(title=title, attempts_allowed=attempts, shuffle_options=True, pass_mark_percent=60)
    for n in range(10):
        question = Question.objects.create(
            category=category, kind="single", text=f"第{n + 1}题：以下哪项符合教师职业道德规范？"
        )
        for k, text in enumerate(["关爱全体学生，尊重学生人格", "有偿补课", "体罚学生", "收受家长礼品"]):
            QuestionOption.objects.create(question=question, text=text, is_correct=(k == 0), sort_order=k)
        QuizQuestion.objects.create(quiz=quiz, question=question, sort_order=n)
    return quiz


def make_h5p():
    """The H5P test library built into a package (tests/h5p/packages.py) and imported by the app's own service."""
    sys.path.insert(0, str(REPO))
    from shixun.assessments.h5p.models import H5PActivity
    from shixun.assessments.h5p.packages import import_package
    from tests.h5p.packages import package

    activity = H5PActivity.objects.filter(title="基准互动练习").first()
    if activity is None:
        content = import_package(io.BytesIO(package()), title="基准互动练习")
        activity = content.activity
        activity.title = "基准互动练习"
        activity.save()
    return activity, activity.current_content


def enrol(course_id: int, user_ids: list[int]) -> None:
    from shixun.courses.models import Enrolment

    have = set(Enrolment.objects.filter(course_id=course_id).values_list("user_id", flat=True))
    Enrolment.objects.bulk_create(
        [Enrolment(user_id=pk, course_id=course_id) for pk in user_ids if pk not in have], batch_size=2000
    )


def session_for(user) -> dict:
    """A logged-in session made as django.contrib.auth.login makes it (PBKDF2 for 700 logins would dominate the run)."""
    from importlib import import_module

    from django.conf import settings
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
    from django.utils.module_loading import import_string

    store = import_module(settings.SESSION_ENGINE).SessionStore()  # the engine the server reads
    store[SESSION_KEY] = str(user.pk)
    # The backend login() records is the one that authenticated: the first that loads users (django-axes's
    # backend comes first in the list but only guards logins, it has no get_user).
    store[BACKEND_SESSION_KEY] = next(
        path for path in settings.AUTHENTICATION_BACKENDS if hasattr(import_string(path), "get_user")
    )
    store[HASH_SESSION_KEY] = user.get_session_auth_hash()
    store.create()
    # Django accepts the unmasked 32-character secret in the header as well as the masked token.
    return {
        "user_id": user.pk,
        "username": user.get_username(),
        "session": store.session_key,
        "csrf": secrets.token_hex(16),
    }


def learner_kit(user_id: int, course: dict) -> dict:
    from shixun.accounts.models import User

    user = User.objects.get(pk=user_id)
    kit = session_for(user)
    if "h5p_activity_id" in course:
        from shixun.assessments.h5p.links import make_token
        from shixun.assessments.h5p.models import H5PActivity, H5PContent
        from shixun.courses.models import ModulePage

        kit["h5p_token"] = make_token(
            user=user,
            activity=H5PActivity(pk=course["h5p_activity_id"]),
            module=ModulePage(pk=course["h5p_module_id"]),
            content=H5PContent(pk=course["h5p_content_id"]),
            site_origin="http://127.0.0.1",
        )
    return kit


def prepare_spike(user_ids: list[int], course: dict, pass_share: float) -> list[dict]:
    """Each spike learner has opened the module (lesson done) and started the timed quiz, answers in hand."""
    if "spike_quiz_id" not in course:
        return []
    from shixun.accounts.models import User
    from shixun.assessments.quizzes.models import Attempt, Quiz
    from shixun.assessments.quizzes.services import start_attempt
    from shixun.courses.blocks import LESSON_KEY
    from shixun.courses.models import ActivityStatus, ModulePage
    from shixun.courses.progress import record_activity_status

    quiz = Quiz.objects.get(pk=course["spike_quiz_id"])
    module = ModulePage.objects.get(pk=course["quiz_module_id"])
    rng = random.Random(8)
    kits = []
    for user in User.objects.filter(pk__in=user_ids).order_by("pk"):
        record_activity_status(user, module, LESSON_KEY, ActivityStatus.DONE)
        attempt = Attempt.objects.filter(
            learner=user, quiz=quiz, module=module, state="in_progress"
        ).first() or start_attempt(user, quiz, module)
        passes = rng.random() < pass_share
        answers = {}
        for item in attempt.items.all():
            options = item.snapshot["options"]
            right = [o["id"] for o in options if o["correct"]]
            wrong = [o["id"] for o in options if not o["correct"]]
            answers[f"q-{item.pk}"] = str(right[0] if passes else wrong[0])
        kit = session_for(user)
        kit.update(attempt_id=attempt.pk, answers=answers, expect_pass=passes)
        kits.append(kit)
    return kits


def load_ledger(count: int, district, category) -> int:
    """`count` credit entries spread over the district's teachers and the last five years."""
    from django.db import connection

    from shixun.accounts.models import Profile
    from shixun.courses.models import CourseCategory
    from shixun.transcripts.models import LedgerEntry

    have = LedgerEntry.objects.filter(source_ref__startswith="bench-").count()
    if have >= count:
        return have
    teachers = list(
        Profile.objects.filter(district=district, school__isnull=False)
        .order_by("pk")
        .values_list("user_id", "school_id")
    )
    categories = list(CourseCategory.objects.values_list("pk", flat=True)) or [None]
    titles = ["师德师风专题培训", "新课标解读", "信息技术应用能力提升", "班主任专题培训", "校本研修"]
    today = date.today()
    now = datetime.now().astimezone()
    columns = [
        "learner_id",
        "hours",
        "category_id",
        "title",
        "source_kind",
        "source_ref",
        "earned_on",
        "school_id",
        "created_at",
        "reason",
    ]

    def rows():
        rng = random.Random(5)
        for n in range(have, count):
            learner, school = teachers[n % len(teachers)]
            yield (
                learner,
                Decimal(rng.choice(["1.0", "2.0", "3.0", "4.5", "8.0"])),
                categories[n % len(categories)],
                titles[n % len(titles)],
                "manual_adjustment",
                f"bench-{n}",
                today - timedelta(days=rng.randrange(5 * 365)),
                school,
                now,
                "",
            )

    table = LedgerEntry._meta.db_table
    connection.ensure_connection()
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            raw = cursor.cursor  # psycopg 3 cursor under Django's wrapper
            with raw.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:
                for row in rows():
                    copy.write_row(row)
    else:
        placeholders = ", ".join(["%s"] * len(columns))
        sql = f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({placeholders})"
        batch = []
        with connection.cursor() as cursor:
            for row in rows():
                batch.append(tuple(str(v) if isinstance(v, Decimal) else v for v in row))
                if len(batch) == 20_000:
                    cursor.executemany(sql, batch)
                    batch.clear()
            if batch:
                cursor.executemany(sql, batch)
    connection.commit() if not connection.get_autocommit() else None
    return LedgerEntry.objects.filter(source_ref__startswith="bench-").count()


# --- baselines -------------------------------------------------------------------------------


def insert_baselines(args: dict) -> dict:
    """Single-row INSERT rate (one commit per row, like one xAPI statement) and a bulk INSERT of ledger rows."""
    from django.db import connection, transaction

    from shixun.accounts.models import Profile
    from shixun.transcripts.models import LedgerEntry

    payload = "x" * args.get("payload_bytes", 2000)
    table = "bench_single_insert"
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(f"CREATE TABLE IF NOT EXISTS {table} (id bigserial PRIMARY KEY, body text NOT NULL)")
        else:
            cursor.execute(
                f"CREATE TABLE IF NOT EXISTS {table} (id integer PRIMARY KEY AUTOINCREMENT, body text NOT NULL)"
            )
    seconds = args.get("seconds", 4.0)
    done = 0
    start = time.monotonic()
    with connection.cursor() as cursor:
        while time.monotonic() - start < seconds:
            with transaction.atomic():
                cursor.execute(f"INSERT INTO {table} (body) VALUES (%s)", [payload])
            done += 1
    single_rate = done / (time.monotonic() - start)

    rows = args.get("bulk_rows", 10_000)
    learners = list(Profile.objects.filter(school__isnull=False).values_list("user_id", "school_id")[:rows])
    objects = [
        LedgerEntry(
            learner_id=learners[n % len(learners)][0],
            school_id=learners[n % len(learners)][1],
            hours=Decimal("2.0"),
            title="基准",
            source_kind="manual_adjustment",
            source_ref=f"bulk-{uuid.uuid4().hex}",
            earned_on=date.today(),
        )
        for n in range(rows)
    ]

    class Rollback(Exception):
        pass

    start = time.monotonic()
    try:
        with transaction.atomic():  # the ledger refuses DELETE: the rows are rolled back instead
            LedgerEntry.objects.bulk_create(objects, batch_size=1000)
            bulk_seconds = time.monotonic() - start
            raise Rollback
    except Rollback:
        pass
    return {
        "single_insert_per_s": round(single_rate, 1),
        "bulk_insert_per_s": round(rows / bulk_seconds, 1),
        "bulk_rows": rows,
        "bulk_seconds": round(bulk_seconds, 2),
    }


# --- credit posting -------------------------------------------------------------------------


def credit_posting(args: dict) -> dict:
    """Completions → django-q2 (the running cluster) → ledger entries; measured from the completion's timestamp.

    Completions are made as courses.progress makes them (ModuleCompletion row,
    then the module_completed signal after commit), so the transcripts
    receiver enqueues `transcripts.tasks.post_module_completion` as in
    production. `burst`: all at once (throughput); `rate`: paced arrivals
    (completion-to-transcript latency at that rate).
    """
    from django.utils import timezone

    from shixun.accounts.models import User
    from shixun.courses.models import CoursePage, ModuleCompletion
    from shixun.courses.signals import module_completed
    from shixun.transcripts.models import LedgerEntry

    count = args["count"]
    tail = args.get("tail", 0)
    course = CoursePage.objects.get(slug="bench-course")
    modules = ensure_credit_modules(course, args.get("modules", 5))
    prefix = args["label"]
    learners = list(
        User.objects.filter(shixun_profile__school__code__startswith="bench-x")
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    # Learners of this batch have no completion of these modules yet.
    used = set(ModuleCompletion.objects.filter(module__in=modules).values_list("user_id", flat=True))
    learners = [pk for pk in learners if pk not in used][: -(-(count + tail) // len(modules))]
    enrol(course.pk, learners)
    pairs = [(u, m) for u in learners for m in modules][: count + tail]
    pairs, tail_pairs = pairs[:count], pairs[count:]
    if not module_completed.has_listeners(ModuleCompletion):
        return {"error": "no receiver of courses.signals.module_completed is connected (transcripts not posting)"}

    rate = args.get("rate")
    drained = wait_for_posting_to_drain(modules, course, args.get("drain_timeout", 150))
    started = time.monotonic()
    started_epoch = time.time()
    made_ids = []
    tick = 0.05
    per_tick = count if not rate else max(1, round(rate * tick))
    if args.get("kill_pgid"):
        per_tick = 1  # one signal at a time, so the kill lands after exactly `kill_after` completions
    for offset in range(0, len(pairs), per_tick):
        batch = [
            ModuleCompletion(user_id=u, module_id=m.pk, course_id=course.pk, credit_hours=m.credit_hours)
            for u, m in pairs[offset : offset + per_tick]
        ]
        # The rows of one tick in one INSERT (a commit per row would measure this
        # process's fsyncs, not the posting), then one signal per completion as
        # progress.py sends it after commit.
        stamp = timezone.now()
        for completion in batch:
            completion.completed_at = stamp
        ModuleCompletion.objects.bulk_create(batch)
        for completion in batch:
            module_completed.send(sender=ModuleCompletion, completion=completion)
            made_ids.append(completion.pk)
            if args.get("kill_pgid") and len(made_ids) == args.get("kill_after"):
                # Scale-out proof: a worker node is lost mid-burst, with tasks it had already taken.
                os.killpg(args["kill_pgid"], 9)
        if rate:
            target = started + (offset + per_tick) / rate
            delay = target - time.monotonic()
            if delay > 0:
                time.sleep(delay)
    enqueue_seconds = time.monotonic() - started
    tail_ids, queued_at_tail = make_tail(tail_pairs, course, args.get("tail_interval", 0.1))

    deadline = time.monotonic() + args.get("timeout", 180)
    posted = 0
    while time.monotonic() < deadline:
        posted = LedgerEntry.objects.filter(module_completion_id__in=made_ids + tail_ids).count()
        if posted >= len(made_ids) + len(tail_ids):
            break
        time.sleep(0.25)
    rows = entry_times(made_ids)
    latencies = sorted((created - completed).total_seconds() for created, completed in rows)
    first_completion = min((c for _, c in rows), default=None)
    last_entry = max((c for c, _ in rows), default=None)
    span = (last_entry - first_completion).total_seconds() if rows else None
    from bench.loadgen import percentile

    return {
        "label": prefix,
        "completions": len(made_ids),
        "entries": len(rows),
        "enqueue_seconds": round(enqueue_seconds, 2),
        "entries_per_s": round(len(rows) / span, 1) if span else None,
        "p50_s": round(percentile(latencies, 0.5), 3) if latencies else None,
        "p95_s": round(percentile(latencies, 0.95), 3) if latencies else None,
        "max_s": round(latencies[-1], 3) if latencies else None,
        "rate": rate,
        "backlog_at_start": drained["unposted"],
        "queued_at_start": drained["queued"],
        "drain": drained,
        "posted_by": posted_by(made_ids),
        "started_epoch": round(started_epoch, 3),
        "per_second": latency_per_second(rows, started_epoch),
        **({"tail": tail_figures(tail_ids, queued_at_tail)} if tail_pairs else {}),
    }


def entry_times(completion_ids: list[int]) -> list[tuple]:
    """(entry created_at, completion completed_at) of each of these completions that has its entry."""
    from shixun.transcripts.models import LedgerEntry

    return list(
        LedgerEntry.objects.filter(module_completion_id__in=completion_ids).values_list(
            "created_at", "module_completion__completed_at"
        )
    )


def make_tail(pairs: list, course, interval: float) -> tuple[list[int], int | None]:
    """Completions made one at a time right after a burst (not after its drain), `interval` s apart.

    Issue 18: the next teacher to finish after a mass completion. Each is its own INSERT and signal, as
    courses.progress makes it. Returns their ids and the tasks in the broker when the first was made.
    """
    from django.utils import timezone
    from django_q.brokers import get_broker

    from shixun.courses.models import ModuleCompletion
    from shixun.courses.signals import module_completed

    queued = get_broker().queue_size() if pairs else None
    made = []
    for user_id, module in pairs:
        completion = ModuleCompletion.objects.create(
            user_id=user_id,
            module_id=module.pk,
            course_id=course.pk,
            credit_hours=module.credit_hours,
            completed_at=timezone.now(),
        )
        module_completed.send(sender=ModuleCompletion, completion=completion)
        made.append(completion.pk)
        time.sleep(interval)
    return made, queued


def tail_figures(tail_ids: list[int], queued_at_start: int | None) -> dict:
    from bench.loadgen import percentile

    latencies = sorted((created - completed).total_seconds() for created, completed in entry_times(tail_ids))
    return {
        "completions": len(tail_ids),
        "entries": len(latencies),
        "queued_at_start": queued_at_start,
        "p50_s": round(percentile(latencies, 0.5), 3) if latencies else None,
        "p95_s": round(percentile(latencies, 0.95), 3) if latencies else None,
        "max_s": round(latencies[-1], 3) if latencies else None,
    }


def latency_per_second(rows: list[tuple], started_epoch: float) -> list[dict]:
    """Per second of completions since `started_epoch`: how many were made, and their latency's p95 (s)."""
    from bench.loadgen import percentile

    by_second: dict[int, list[float]] = {}
    for created, completed in rows:
        second = int(completed.timestamp() - started_epoch)
        by_second.setdefault(second, []).append((created - completed).total_seconds())
    return [
        {"second": second, "made": len(values), "p95_s": round(percentile(sorted(values), 0.95), 3)}
        for second, values in sorted(by_second.items())
    ]


def wait_for_posting_to_drain(modules, course, timeout: float) -> dict:
    """Wait (bounded) until an earlier burst left nothing behind.

    Returns the completions still unposted and the tasks still queued when the wait ended (both 0 unless
    it timed out), the same at its first look (`*_first`), and how long it waited.

    A paced run measures latency at a steady rate; behind an earlier burst's backlog its figures would
    be that backlog's. Both must be empty: when the scheduled reconcile (or a task's batch) posts a
    burst's completions ahead of their tasks, the burst is fully posted while thousands of its tasks,
    each now a no-op, still wait in the broker, and the paced completions' tasks queue behind them
    (issue 18: 2,600 tasks left, paced p95 4.6-5.0 s, against 0 left and 0.11 s in the same hour). Tasks
    the cluster has already taken into its own queue (at most `queue_limit`) are not seen here.
    """
    from django_q.brokers import get_broker

    from shixun.courses.models import ModuleCompletion

    broker = get_broker()
    started = time.monotonic()
    first = None
    while True:
        unposted = ModuleCompletion.objects.filter(module__in=modules, course=course, ledger_entry__isnull=True).count()
        queued = broker.queue_size() or 0
        first = first or {"unposted_first": unposted, "queued_first": queued}
        if not (unposted or queued) or time.monotonic() - started > timeout:
            waited = round(time.monotonic() - started, 1)
            return {"unposted": unposted, "queued": queued, **first, "waited_s": waited}
        time.sleep(0.25)


def posted_by(completion_ids: list[int]) -> dict[str, int]:
    """How many of these completions' entries each path posted: "task" (its own or a sibling's batch) or "reconcile"."""
    from django.db.models import Count

    from shixun.transcripts.models import AuditAction, CreditAuditEvent

    rows = (
        CreditAuditEvent.objects.filter(entry__module_completion_id__in=completion_ids, action=AuditAction.POSTED)
        .order_by()
        .values_list("via")
        .annotate(n=Count("pk"))
    )
    return dict(rows)


def ensure_credit_modules(course, count: int):
    from shixun.courses.models import ModulePage

    modules = []
    for n in range(count):
        slug = f"credit-{n}"
        page = ModulePage.objects.child_of(course).filter(slug=slug).first()
        if page is None:
            page = course.add_child(
                instance=ModulePage(title=f"学时单元{n}", slug=slug, credit_hours=Decimal("1.5"), body=[])
            )
        modules.append(page)
    return modules


# --- quiz spike check ----------------------------------------------------------------------


def spike_outcome(args: dict) -> dict:
    from shixun.assessments.quizzes.models import Attempt
    from shixun.courses.models import ModuleCompletion

    attempts = Attempt.objects.filter(pk__in=args["attempt_ids"])
    graded = attempts.filter(state="graded").count()
    passed = attempts.filter(state="graded", passed=True).count()
    completions = ModuleCompletion.objects.filter(module_id=args["module_id"], user_id__in=args["user_ids"]).count()
    states = dict(Counter_(attempts.values_list("state", flat=True)))
    return {
        "graded": graded,
        "passed": passed,
        "completions": completions,
        "states": states,
        "attempts_per_learner_max": max_attempts(args),
    }


# --- attendance burst ------------------------------------------------------------------------


def prepare_attendance(args: dict) -> dict:
    """A session of the bench course open for sign-in now, `count` enrolled teachers logged in, the scan path."""
    from datetime import datetime
    from datetime import time as clock
    from decimal import Decimal as D

    from django.urls import reverse
    from django.utils import timezone

    from shixun.accounts.models import User
    from shixun.attendance import rules
    from shixun.attendance.models import Session

    user_ids = list(
        User.objects.filter(shixun_profile__school_id=args["school_id"]).order_by("pk")
        .values_list("pk", flat=True)[args.get("offset", 0):args.get("offset", 0) + args["count"]]
    )
    enrol(args["course_id"], user_ids)
    # A session is one day's, in the site's time zone: a burst in the day's last two minutes would run past
    # its sign-in's close (the run of 2026-12-06 15:58 UTC, 23:56 in Shanghai, was refused with 400s, correctly).
    # Wait for the next day instead.
    local = timezone.localtime()
    if local.time() >= clock(23, 58):
        midnight = (local + timedelta(days=1)).replace(hour=0, minute=0, second=0, microsecond=0)
        time.sleep((midnight - local).total_seconds() + 5)
    today = timezone.localdate()
    session = Session.objects.filter(course_id=args["course_id"], title="基准集中培训", date=today).first()
    if session is None:
        # Open all day, so the burst never falls outside the window whatever the hour.
        session = Session.objects.create(
            course_id=args["course_id"], title="基准集中培训", venue="报告厅", date=today, starts_at=clock(0, 5),
            ends_at=clock(23, 59, 59), sign_in_opens=clock(0, 0), sign_in_closes=clock(23, 59, 59), hours=D("2"),
            code_seconds=600,  # a ten-minute step: the burst's tokens stay valid however slow the setup
        )
    session.attendances.all().delete()
    step = rules.current_step(session, datetime.now().astimezone())
    path = reverse("attendance:scan", args=[rules.token_for(session, step)])
    kits = [session_for(user) for user in User.objects.filter(pk__in=user_ids).order_by("pk")]
    return {"session_id": session.pk, "path": path, "kits": kits}


def attendance_outcome(args: dict) -> dict:
    from django.db.models import Count

    from shixun.attendance.models import Attendance

    rows = Attendance.objects.filter(session_id=args["session_id"])
    most = rows.values("learner_id").annotate(n=Count("pk")).order_by("-n").values_list("n", flat=True).first()
    return {"recorded": rows.count(), "learners": rows.values("learner_id").distinct().count(), "most": most or 0}


def Counter_(values):  # noqa: N802
    from collections import Counter

    return Counter(values)


def max_attempts(args) -> int:
    from django.db.models import Count

    from shixun.assessments.quizzes.models import Attempt

    counts = (
        Attempt.objects.filter(learner_id__in=args["user_ids"], module_id=args["module_id"])
        .values("learner_id")
        .annotate(n=Count("pk"))
        .values_list("n", flat=True)
    )
    return max(counts, default=0)


# --- dashboard ---------------------------------------------------------------------------------


DASHBOARD_URL_NAMES = ("schools:school_dashboard", "schools:dashboard")


def dashboard_url(code: str) -> str | None:
    from django.urls import NoReverseMatch, reverse

    for name in DASHBOARD_URL_NAMES:
        for kwargs in ({"code": code}, {"school_code": code}):
            try:
                return reverse(name, kwargs=kwargs)
            except NoReverseMatch:
                continue
    return None


def dashboard_queries(args: dict) -> dict:
    """Query count and in-process time of the school dashboard at each size, as the school's admin."""
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from shixun.accounts.models import User

    out = {}
    for code in args["codes"]:
        url = dashboard_url(code)
        if url is None:
            return {"error": f"no school dashboard URL (tried {', '.join(DASHBOARD_URL_NAMES)})"}
        client = Client(HTTP_HOST="127.0.0.1")
        client.force_login(User.objects.get(username=f"{code}-admin"))
        client.get(url)  # warm caches, as the measured HTTP runs are warm too
        with CaptureQueriesContext(connection) as queries:
            start = time.monotonic()
            response = client.get(url)
            elapsed = time.monotonic() - start
        out[code] = {
            "url": url,
            "status": response.status_code,
            "queries": len(queries),
            "ms": round(elapsed * 1000, 1),
            "bytes": len(response.content),
        }
    return out


# --- uploads ---------------------------------------------------------------------------------


def upload_measure(args: dict) -> dict:
    """Validate and store one generated file in this fresh process; report time and peak-memory growth."""
    import gc

    kind = args["kind"]
    path = Path(args["path"])
    import threading

    gc.collect()
    before = current_rss_mb()
    # ru_maxrss survives execve (it would report the parent's peak): sample this
    # process's resident set while the work runs instead.
    peak = [before]
    done = threading.Event()

    def sample():
        while not done.wait(0.005):
            peak[0] = max(peak[0], current_rss_mb())

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    start = time.monotonic()
    if kind == "assignment":
        from django.core.files.storage import storages
        from django.core.files.uploadedfile import TemporaryUploadedFile

        from shixun.assessments.uploads.validate import validate_upload

        upload = TemporaryUploadedFile(path.name, "application/pdf", path.stat().st_size, None)
        upload.file.close()
        upload.file = open(path, "rb")  # noqa: SIM115 (the upload closes it)
        with validate_upload(upload, allowed_kinds=["pdf", "word"], max_bytes=100 * 1024 * 1024) as clean:
            stored = storages["private"].save(f"bench/{clean.name}", clean.file)
        upload.file.close()
        result = {"stored": stored}
    else:
        from shixun.assessments.h5p.packages import import_package

        with open(path, "rb") as fileobj:
            content = import_package(fileobj, title="基准大包")
        result = {"content_id": content.pk}
    elapsed = time.monotonic() - start
    done.set()
    sampler.join()
    peak[0] = max(peak[0], current_rss_mb())
    return {
        **result,
        "seconds": round(elapsed, 3),
        "rss_before_mb": before,
        "peak_rss_mb": peak[0],
        "growth_mb": round(peak[0] - before, 1),
    }


def current_rss_mb() -> float:
    with open("/proc/self/statm") as f:
        pages = int(f.read().split()[1])
    return round(pages * os.sysconf("SC_PAGE_SIZE") / 1024 / 1024, 1)


def idle_rss(args: dict) -> dict:
    """A Django process that has loaded every app and done nothing: the floor under every memory figure."""
    from django.urls import reverse

    reverse("home")
    with open("/proc/self/status") as status:  # VmHWM: this process's own peak (ru_maxrss survives execve)
        hwm = next(int(line.split()[1]) for line in status if line.startswith("VmHWM:"))
    return {"rss_mb": current_rss_mb(), "peak_rss_mb": round(hwm / 1024, 1)}


def copy_baseline(args: dict) -> dict:
    """PostgreSQL `COPY (…) TO STDOUT` of the district's entries with the columns a transcript export has."""
    from django.db import connection

    from shixun.accounts.models import District, Profile, School
    from shixun.courses.models import CourseCategory
    from shixun.transcripts.models import LedgerEntry

    entry, profile, school, category, district = (
        m._meta.db_table for m in (LedgerEntry, Profile, School, CourseCategory, District)
    )
    # Table names come from the models' meta; the district code is a parameter. Teacher data is on the profile.
    select = "SELECT s.name, u.staff_number, u.full_name, e.earned_on, e.title, c.name, e.hours, e.source_kind"
    query = (
        select
        + f" FROM {entry} e JOIN {profile} u ON u.user_id = e.learner_id LEFT JOIN {school} s ON s.id = u.school_id "
        f"LEFT JOIN {category} c ON c.id = e.category_id "
        f"WHERE u.district_id = (SELECT id FROM {district} WHERE code = %s) "
        "ORDER BY s.name, u.staff_number, e.earned_on"
    )
    if connection.vendor != "postgresql":
        return {"seconds": None, "rows": 0, "bytes": 0}
    connection.ensure_connection()
    start = time.monotonic()
    size = 0
    with open(args["path"], "wb") as out, connection.cursor() as cursor:
        with cursor.cursor.copy(f"COPY ({query}) TO STDOUT WITH (FORMAT csv, HEADER)", [args["district"]]) as copy:
            for block in copy:
                out.write(block)
                size += len(block)
    seconds = time.monotonic() - start
    with open(args["path"], "rb") as f:
        rows = sum(1 for _ in f) - 1
    return {"seconds": round(seconds, 3), "rows": rows, "bytes": size}


def profile(args: dict) -> dict:
    """cProfile one scenario's server-side work in process; the top functions of Shixun's own code.

    Run for every missed target so RESULTS.md says where the time goes, not
    only that it went.
    """
    import cProfile
    import pstats

    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from shixun.accounts.models import User

    what = args["what"]
    client = Client(HTTP_HOST="127.0.0.1")
    work = None
    if what == "dashboard":
        client.force_login(User.objects.get(username="bench-s2000-admin"))
        url = dashboard_url("bench-s2000")
        client.get(url)

        def work():
            client.get(url)
    elif what == "xapi":
        course = args["course"]
        kit = args["kit"]
        client.force_login(User.objects.get(pk=kit["user_id"]))
        rng = random.Random(9)
        from bench.scenarios import xapi_statement

        def post_one():
            body = {"token": kit["h5p_token"], "statement": xapi_statement(course, rng)}
            client.post("/h5p/xapi/", json.dumps(body), content_type="application/json")

        post_one()  # warm: imports and first-request work are not what is being measured

        def work():
            for _ in range(20):
                post_one()
    elif what == "browsing":
        course = args["course"]
        client.force_login(User.objects.get(pk=args["kit"]["user_id"]))
        urls = ["/learn/", "/transcript/", course["course_url"], course["lesson_url"]]
        for url in urls:
            client.get(url)

        def work():
            for url in urls:
                client.get(url)
    elif what == "credit":
        from shixun.courses.models import CoursePage, ModuleCompletion
        from shixun.transcripts.tasks import post_module_completion

        course = CoursePage.objects.get(slug="bench-course")
        modules = ensure_credit_modules(course, 8)
        taken = set(ModuleCompletion.objects.filter(module=modules[-1]).values_list("user_id", flat=True))
        learners = [
            pk
            for pk in User.objects.filter(shixun_profile__school__code__startswith="bench-x")
            .order_by("-pk")
            .values_list("pk", flat=True)[:400]
            if pk not in taken
        ][:100]
        enrol(course.pk, learners)
        ids = [
            ModuleCompletion.objects.create(
                user_id=u, module_id=modules[-1].pk, course_id=course.pk, credit_hours=Decimal("1.5")
            ).pk
            for u in learners
        ]

        post_module_completion(ids.pop())  # warm

        def work():
            for pk in ids:
                post_module_completion(pk)
    elif what == "export":
        from django.core.management import call_command

        def work():  # one school of 2,000 teachers (a tenth of the district) keeps the profile short
            call_command(
                "export_transcripts",
                "--school",
                "bench-s2000",
                "--from",
                "2000-01-01",
                "--to",
                date.today().isoformat(),
                "--format",
                "csv",
                "--output",
                args["path"],
            )

    if work is None:
        return {"error": f"nothing to profile for {what}"}
    profiler = cProfile.Profile()
    with CaptureQueriesContext(connection) as queries:
        start = time.monotonic()
        profiler.runcall(work)
        elapsed = time.monotonic() - start
    stats = pstats.Stats(profiler)
    own = []
    for (filename, line, name), (_cc, nc, tt, ct, _callers) in stats.stats.items():
        relative = filename.replace(str(REPO) + "/", "")
        if filename.startswith(str(REPO)) and "/.venv/" not in filename and not relative.startswith("bench/"):
            own.append((ct, tt, nc, f"{relative}:{line} {name}"))
    own.sort(reverse=True)
    everything = sorted(
        (
            (tt, ct, nc, f"{f.replace(str(REPO) + '/', '').split('site-packages/')[-1]}:{line} {name}")
            for (f, line, name), (cc, nc, tt, ct, callers) in stats.stats.items()
        ),
        reverse=True,
    )
    slow_sql = sorted(((float(q["time"]), q["sql"][:160]) for q in queries.captured_queries), reverse=True)[:3]
    return {
        "what": what,
        "seconds": round(elapsed, 3),
        "queries": len(queries),
        "top_own": [
            {"cum_s": round(ct, 3), "self_s": round(tt, 3), "calls": nc, "where": where}
            for ct, tt, nc, where in own[:12]
        ],
        "slowest_sql": slow_sql,
        "top_self_all": [
            {"self_s": round(tt, 3), "cum_s": round(ct, 3), "calls": nc, "where": where}
            for tt, ct, nc, where in everything[:8]
        ],
    }


def peer_course(args: dict) -> dict:
    """Shixun's side of the peer comparison: a course of 20 lessons, a learner with 19 done; the completion check."""
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from shixun.accounts.models import User
    from shixun.courses.blocks import LESSON_KEY
    from shixun.courses.models import ActivityProgress, CataloguePage, CoursePage, ModuleCompletion, ModulePage
    from shixun.courses.progress import complete_course_if_finished

    lessons = args["lessons"]
    catalogue = CataloguePage.objects.get(slug="bench-catalogue")
    course = CoursePage.objects.filter(slug="peer-course").first()
    if course is None:
        course = catalogue.add_child(
            instance=CoursePage(title="对照课程（20课）", slug="peer-course", summary="二十个单元的课程。")
        )
    text = "<p>" + "课程内容，教师职业道德与专业发展。" * 20 + "</p>"
    modules = list(ModulePage.objects.child_of(course).order_by("path"))
    for n in range(len(modules), lessons):
        modules.append(
            course.add_child(
                instance=ModulePage(
                    title=f"第{n + 1}课",
                    slug=f"lesson-{n + 1}",
                    credit_hours=Decimal("1.0"),
                    body=[("paragraph", text)],
                )
            )
        )
    user = User.objects.filter(shixun_profile__school__code="bench-s200").order_by("pk").first()
    enrol(course.pk, [user.pk])
    for module in modules[: lessons - 1]:
        ActivityProgress.objects.get_or_create(
            user=user, module=module, activity_key=LESSON_KEY, defaults={"status": "done"}
        )
        ModuleCompletion.objects.get_or_create(
            user=user, module=module, defaults={"course": course, "credit_hours": module.credit_hours}
        )
    kit = session_for(user)
    client = Client(HTTP_HOST="127.0.0.1")
    client.force_login(user)
    page_bytes = len(client.get(course.url).content)
    calls = args["calls"]
    complete_course_if_finished(user, course)
    with CaptureQueriesContext(connection) as queries:
        start = time.perf_counter()
        for _ in range(calls):
            complete_course_if_finished(user, course)
        elapsed = time.perf_counter() - start
    from shixun.courses.models import CourseCompletion

    completed = CourseCompletion.objects.filter(user=user, course=course).exists()
    return {
        **kit,
        "url": course.url,
        "page_bytes": page_bytes,
        "ms": elapsed / calls * 1000,
        "queries": len(queries) / calls,
        "completed": completed,
    }


def report_rules(district, year: int) -> None:
    """The district's requirement rules (DOMAIN.md's demo defaults), so the report judges every teacher on
    each: 80 h a calendar year and 16 h of school-based training a school year for everyone, 360 h in the
    five-year cycle ending this year for in-service teachers, 120 h of induction in the first year for new
    teachers (one teacher in twenty, who started in the year). Idempotent."""
    from shixun.accounts.models import Profile, TeacherCategory
    from shixun.transcripts.models import PeriodKind, RequirementRule

    in_service = TeacherCategory.objects.order_by("pk").first()
    new, _ = TeacherCategory.objects.get_or_create(code="bench-new", defaults={"name": "新任教师"})
    rules = [
        ("每年不少于80学时", {"period_kind": PeriodKind.CALENDAR_YEAR, "minimum_hours": Decimal("80")}, None),
        ("校本研修每学年16学时", {"period_kind": PeriodKind.SCHOOL_YEAR, "minimum_hours": Decimal("16")}, None),
        ("五年周期360学时", {"period_kind": PeriodKind.CYCLE, "cycle_start_year": year - 4, "cycle_years": 5,
                          "minimum_hours": Decimal("360")}, in_service),
        ("新任教师岗前培训120学时", {"period_kind": PeriodKind.FIRST_YEAR, "minimum_hours": Decimal("120")}, new),
    ]
    for order, (name, fields, category) in enumerate(rules):
        rule, created = RequirementRule.objects.get_or_create(
            district=district, name=name, defaults={**fields, "sort_order": order})
        if created and category is not None:
            rule.teacher_categories.add(category)
    through = Profile.categories.through
    if not through.objects.filter(teachercategory=new, profile__district=district).exists():
        newcomers = list(
            Profile.objects.filter(district=district, school__isnull=False).order_by("pk").values_list("pk", flat=True)
        )[::20]
        for n, pk in enumerate(newcomers):
            Profile.objects.filter(pk=pk).update(start_date=date(year, 1, 1) + timedelta(days=n % 300))
        through.objects.bulk_create([through(profile_id=pk, teachercategory_id=new.pk) for pk in newcomers])


def year_hours_read(district, year: int) -> float:
    """The same-run baseline of the report job: the least any annual report reads, the district's ledger of the
    year summed per teacher and course category in one grouped query (seconds, median of 3)."""
    import statistics

    from django.db.models import Sum

    from shixun.transcripts.models import LedgerEntry

    timings = []
    for _ in range(3):
        started = time.monotonic()
        list(
            LedgerEntry.objects.filter(
                learner__shixun_profile__district=district, earned_on__gte=date(year, 1, 1),
                earned_on__lt=date(year + 1, 1, 1),
            ).values_list("learner_id", "category_id").annotate(total=Sum("hours")).order_by()
        )
        timings.append(time.monotonic() - started)
    return statistics.median(timings)


def annual_report(args: dict) -> dict:
    """The district's annual report computed as its job does (reports.jobs.run), then its page in process."""
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext
    from django.urls import reverse

    from shixun.accounts.models import District, User

    try:
        from shixun.reports import jobs
    except ImportError:
        return {"error": "no reports app (issue 15 has not landed)"}
    district = District.objects.get(code=args["district"])
    year = date.today().year
    report_rules(district, year)
    baseline_s = year_hours_read(district, year)
    started, cpu = time.monotonic(), time.process_time()
    jobs.run(district.pk, year)
    job_s, job_cpu_s = time.monotonic() - started, time.process_time() - cpu
    url = reverse("reports:district_report", kwargs={"code": district.code, "year": year})
    client = Client(HTTP_HOST="127.0.0.1")
    client.force_login(User.objects.get(username="bench-district-admin"))
    client.get(url)  # warm, as the measured HTTP runs are warm too
    with CaptureQueriesContext(connection) as queries:
        started = time.monotonic()
        response = client.get(url)
        page_ms = (time.monotonic() - started) * 1000
    return {
        "url": url,
        "status": response.status_code,
        "baseline_s": round(baseline_s, 2),
        "job_s": round(job_s, 2),
        "job_cpu_s": round(job_cpu_s, 2),
        "page_ms": round(page_ms, 1),
        "queries": len(queries),
        "bytes": len(response.content),
    }


def training_file(args: dict) -> dict:
    """The training file of one teacher with `entries` ledger entries: in-process time (median of 3), queries,
    pages; the same teacher's transcript PDF as the baseline (the renderer the file builds on)."""
    import statistics

    from django.contrib.auth import get_user_model
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from shixun.accounts.models import District, School
    from shixun.transcripts.models import LedgerEntry, SourceKind
    from shixun.transcripts.pdf import render_transcript
    from shixun.transcripts.training_file import produce
    from shixun.transcripts.transcript import build_transcript
    from tests.factories import make_teacher

    count = int(args.get("entries", 600))
    district, _ = District.objects.get_or_create(code="bench-tf", defaults={"name": "档案基准区"})
    school, _ = School.objects.get_or_create(code="bench-tf-school", defaults={"name": "档案基准学校",
                                                                              "district": district})
    teacher = get_user_model().objects.filter(username="bench-tf-teacher").first() or make_teacher(
        school, username="bench-tf-teacher", full_name="档案基准教师", staff_number="TF0001")
    have = LedgerEntry.objects.filter(learner=teacher).count()
    today = date.today()
    LedgerEntry.objects.bulk_create([
        LedgerEntry(learner=teacher, hours=Decimal("1.5"), title=f"校本研修第{n}次（教研活动与听评课）",
                    source_kind=SourceKind.EXTERNAL_TRAINING, source_ref=f"bench-tf-{n}",
                    earned_on=today - timedelta(days=(n * 7) % (8 * 365)), school=school)
        for n in range(have, count)
    ])
    produce(teacher)  # warm: fonts registered, templates and translations loaded
    timings, transcript_timings = [], []
    for _ in range(3):
        with CaptureQueriesContext(connection) as queries:
            start = time.monotonic()
            body, _record = produce(teacher)
            timings.append(time.monotonic() - start)
        start = time.monotonic()
        render_transcript(build_transcript(teacher))
        transcript_timings.append(time.monotonic() - start)
    from pypdf import PdfReader

    return {
        "entries": LedgerEntry.objects.filter(learner=teacher).count(),
        "ms": round(statistics.median(timings) * 1000, 1),
        "transcript_ms": round(statistics.median(transcript_timings) * 1000, 1),
        "queries": len(queries),
        "pages": len(PdfReader(io.BytesIO(body)).pages),
        "bytes": len(body),
    }


def find_export_command(args: dict) -> dict:
    from django.core.management import get_commands

    return {"export_transcripts": "export_transcripts" in get_commands()}


# --- scale-out (bench/scaleout.py) ----------------------------------------------------------------


def scaleout_prepare(args: dict) -> dict:
    """What the scale-out checks need: an editor's session, a group for a view restriction, a document in media."""
    from django.contrib.auth import get_user_model
    from django.contrib.auth.models import Group
    from django.core.files.base import ContentFile
    from wagtail.documents import get_document_model
    from wagtail.models import Collection

    User = get_user_model()
    editor, created = User.objects.get_or_create(
        username="bench-editor", defaults={"is_superuser": True, "is_staff": True, "email": "editor@bench.invalid"}
    )
    if created:
        editor.set_password(TEACHER_PASSWORD)
        editor.save()
    group, _ = Group.objects.get_or_create(name="bench-restricted")
    body = ("师训横向扩展基准文档 " * 2000).encode()
    Document = get_document_model()
    document = Document.objects.filter(title="bench-scaleout").first()
    if document is None:
        document = Document(title="bench-scaleout", collection=Collection.get_first_root_node())
        document.file.save("bench-scaleout.txt", ContentFile(body), save=False)
        document.save()
    return {
        "editor": session_for(editor),
        "group_id": group.pk,
        "document_url": document.url,
        "document_bytes": document.file.size,
        "teacher_password": TEACHER_PASSWORD,
    }


def scaleout_setting(args: dict) -> dict:
    """Change the site's branding (a Wagtail site setting) as an editor's save does, from this process."""
    from wagtail.models import Site

    from shixun.themes.models import BrandingSettings

    site = Site.objects.get(is_default_site=True)
    branding = BrandingSettings.for_site(site)
    branding.site_name = args["site_name"]
    branding.save()
    return {"site_name": branding.site_name}


def credit_audit(args: dict) -> dict:
    """Completions of the bench course against their ledger entries: none lost, none doubled."""
    from django.core.management import call_command
    from django.db.models import Count

    from shixun.courses.models import ModuleCompletion
    from shixun.transcripts.models import LedgerEntry

    if args.get("reconcile"):
        call_command("reconcile_credits", verbosity=0)  # what the scheduled reconcile task does
    completions = ModuleCompletion.objects.filter(course__slug="bench-course", credit_hours__gt=0)
    entries = LedgerEntry.objects.filter(module_completion__in=completions)
    doubled = (
        LedgerEntry.objects.filter(source_kind=entries.values("source_kind")[:1])
        .values("source_ref")
        .annotate(n=Count("pk"))
        .filter(n__gt=1)
        .count()
    )
    return {
        "completions": completions.count(),
        "entries": entries.count(),
        "unposted": completions.filter(ledger_entry__isnull=True).count(),
        "doubled": doubled,
    }


COMMANDS = {
    "scaleout_prepare": scaleout_prepare,
    "scaleout_setting": scaleout_setting,
    "credit_audit": credit_audit,
    "world": build_world,
    "insert_baselines": insert_baselines,
    "credit_posting": credit_posting,
    "spike_outcome": spike_outcome,
    "prepare_attendance": prepare_attendance,
    "attendance_outcome": attendance_outcome,
    "dashboard_queries": dashboard_queries,
    "upload_measure": upload_measure,
    "idle_rss": idle_rss,
    "find_export_command": find_export_command,
    "annual_report": annual_report,
    "copy_baseline": copy_baseline,
    "profile": profile,
    "peer_course": peer_course,
    "training_file": training_file,
    "mix_scan_path": mix_scan_path,
}


def main() -> None:
    command = sys.argv[1]
    args = json.loads(sys.argv[2]) if len(sys.argv) > 2 else {}
    sys.path.insert(0, str(REPO))
    django.setup()
    emit(COMMANDS[command](args))


if __name__ == "__main__":
    main()
