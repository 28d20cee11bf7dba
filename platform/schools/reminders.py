"""Reminder emails, sent by django-q2 schedules.

- Weekly, to each teacher who is behind pace on a requirement or has a module
  due within seven days: what is missing and a link straight to it.
- Monthly, to each school admin: the teachers of their school who are behind.

Both are in Chinese (the site's default language), skip people without an
email address or who opted out (a signed one-click link in every email), and
send at most once per person and period (ReminderSent's unique constraint),
so a schedule run twice or a task delivered again sends nothing twice.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core import signing
from django.core.mail import EmailMessage
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.template.loader import render_to_string
from django.urls import NoReverseMatch, reverse
from django.utils import timezone, translation

from shixun.accounts.models import Role
from shixun.accounts.people import profile_of
from shixun.inbox import notices

from .first_login import site_url
from .models import ReminderPreference, ReminderSent

User = get_user_model()

WEEKLY, DIGEST = "weekly", "digest"
UNSUBSCRIBE_SALT = "shixun.schools.unsubscribe"
CHUNK = 500
DUE_WITHIN_DAYS = 7


@dataclass
class DueModule:
    title: str
    course_title: str
    due_date: date
    url: str


@dataclass
class TeacherReminder:
    teacher: User
    behind: list = field(default_factory=list)  # transcripts Progress objects
    due: list[DueModule] = field(default_factory=list)


# --- Unsubscribe --------------------------------------------------------------------


def unsubscribe_token(user, kind: str) -> str:
    return signing.dumps({"u": user.pk, "k": kind}, salt=UNSUBSCRIBE_SALT)


def read_unsubscribe_token(token: str) -> tuple[int, str] | None:
    try:
        data = signing.loads(token, salt=UNSUBSCRIBE_SALT)  # no expiry: an old email's link keeps working
    except signing.BadSignature:
        return None
    if data.get("k") not in (WEEKLY, DIGEST):
        return None
    return data["u"], data["k"]


def opt_out(user_id: int, kind: str) -> None:
    field_name = "weekly_reminders" if kind == WEEKLY else "monthly_digest"
    ReminderPreference.objects.update_or_create(user_id=user_id, defaults={field_name: False})


def unsubscribe_url(user, kind: str) -> str:
    return site_url() + reverse("schools:unsubscribe", args=[unsubscribe_token(user, kind)])


# --- Who gets what --------------------------------------------------------------------


def _recipients(extra: Q, opted_out_field: str):
    return (
        User.objects.filter(extra, is_active=True)
        .exclude(email="")
        .exclude(**{f"reminder_preference__{opted_out_field}": False})
        .order_by("pk")
    )


def _learner_home() -> str:
    try:
        return site_url() + reverse("courses:dashboard")
    except NoReverseMatch:
        return site_url() + reverse("accounts:profile")


def due_modules_by_user(user_ids: list[int], on_date: date) -> dict[int, list[DueModule]]:
    """Modules due within seven days in courses the users are enrolled in and have not completed."""
    from shixun.courses.models import CoursePage, Enrolment, ModuleCompletion, ModulePage

    modules = list(
        ModulePage.objects.live().filter(due_date__gte=on_date, due_date__lte=on_date + timedelta(days=DUE_WITHIN_DAYS))
    )
    if not modules:
        return {}
    courses_by_path = {
        c.path: c for c in CoursePage.objects.filter(path__in={m.path[: -CoursePage.steplen] for m in modules})
    }
    course_of = {m.pk: courses_by_path.get(m.path[: -CoursePage.steplen]) for m in modules}
    enrolled = set(
        Enrolment.objects.filter(
            user_id__in=user_ids, course__in=[c for c in course_of.values() if c], status=Enrolment.Status.ACTIVE
        ).values_list("user_id", "course_id")
    )
    done = set(
        ModuleCompletion.objects.filter(user_id__in=user_ids, module__in=modules).values_list("user_id", "module_id")
    )
    home = _learner_home()
    result: dict[int, list[DueModule]] = {}
    for user_id in user_ids:
        for module in modules:
            course = course_of[module.pk]
            if course and (user_id, course.pk) in enrolled and (user_id, module.pk) not in done:
                url = module.get_full_url() or home
                result.setdefault(user_id, []).append(DueModule(module.title, course.title, module.due_date, url))
    return result


_TEACHER_FIELDS = ("full_name", "district", "school", "start_date")


def weekly_candidates(on_date: date):
    """TeacherReminder for each teacher to remind, computed a chunk at a time (constant queries per chunk)."""
    from shixun.transcripts.requirements import BEHIND
    from shixun.transcripts.services import requirement_progress_bulk

    teachers = (
        _recipients(Q(shixun_profile__school__isnull=False), "weekly_reminders")
        .select_related("shixun_profile")
        .only("pk", "username", "email", *(f"shixun_profile__{name}" for name in _TEACHER_FIELDS))
    )
    chunk: list[User] = []

    def flush():
        progress = requirement_progress_bulk(chunk, on_date)
        due = due_modules_by_user([t.pk for t in chunk], on_date)
        for teacher in chunk:
            behind = [p for p in progress[teacher.pk] if p.status == BEHIND]
            if behind or due.get(teacher.pk):
                yield TeacherReminder(teacher, behind, due.get(teacher.pk, []))
        chunk.clear()

    for teacher in teachers.iterator(chunk_size=CHUNK):
        chunk.append(teacher)
        if len(chunk) >= CHUNK:
            yield from flush()
    if chunk:
        yield from flush()


# --- Sending ----------------------------------------------------------------------------


def _send_once(user, kind: str, period: str, subject: str, body: str) -> bool:
    """Record and send in one transaction: a failed send leaves no record, so the next run tries again."""
    try:
        with transaction.atomic():
            ReminderSent.objects.create(user=user, kind=kind, period=period)
            unsubscribe = unsubscribe_url(user, kind)
            message = EmailMessage(
                subject=subject,
                body=body,
                to=[user.email],
                headers={"List-Unsubscribe": f"<{unsubscribe}>", "List-Unsubscribe-Post": "List-Unsubscribe=One-Click"},
            )
            message.send()
    except IntegrityError:
        return False  # already sent this period
    return True


def week_key(on_date: date) -> str:
    year, week, _ = on_date.isocalendar()
    return f"{year}-W{week:02d}"


def send_weekly_reminders(on_date: date | None = None) -> int:
    on_date = on_date or timezone.localdate()
    sent = 0
    with translation.override(settings.LANGUAGE_CODE):
        for reminder in weekly_candidates(on_date):
            context = {
                "reminder": reminder,
                "teacher": reminder.teacher,
                "next_url": reminder.due[0].url if reminder.due else _learner_home(),
                "transcript_url": site_url() + reverse("transcripts:mine"),
                "unsubscribe_url": unsubscribe_url(reminder.teacher, WEEKLY),
            }
            subject = render_to_string("schools/email/weekly_subject.txt", context).strip()
            body = render_to_string("schools/email/weekly.txt", context)
            notices.weekly_reminder(reminder.teacher, week_key(on_date), reverse("courses:dashboard"))
            sent += _send_once(reminder.teacher, WEEKLY, week_key(on_date), subject, body)
    return sent


def send_monthly_digests(on_date: date | None = None) -> int:
    """Each school admin gets the list of their school's teachers who are behind (if any)."""
    from shixun.transcripts.requirements import BEHIND
    from shixun.transcripts.services import requirement_progress_bulk

    from .dashboard import teachers_of

    on_date = on_date or timezone.localdate()
    period = f"{on_date:%Y-%m}"
    sent = 0
    admins = _recipients(
        Q(groups__name=Role.SCHOOL_ADMIN, shixun_profile__school__isnull=False), "monthly_digest"
    ).select_related("shixun_profile__school")
    with translation.override(settings.LANGUAGE_CODE):
        for admin in admins:
            school = profile_of(admin).school
            teachers = list(teachers_of(Q(shixun_profile__school=school)))
            progress = requirement_progress_bulk(teachers, on_date)
            behind = [
                (t, [p for p in progress[t.pk] if p.status == BEHIND])
                for t in teachers
                if any(p.status == BEHIND for p in progress[t.pk])
            ]
            if not behind:
                continue
            context = {
                "admin": admin,
                "school": school,
                "behind": behind,
                "dashboard_url": site_url()
                + reverse("schools:school_dashboard", args=[school.code])
                + "?status=behind",
                "unsubscribe_url": unsubscribe_url(admin, DIGEST),
            }
            subject = render_to_string("schools/email/digest_subject.txt", context).strip()
            body = render_to_string("schools/email/digest.txt", context)
            sent += _send_once(admin, DIGEST, period, subject, body)
    return sent


# --- Schedules ------------------------------------------------------------------------------


def register_schedules(**kwargs) -> None:
    """post_migrate: the two schedules, created or updated by name (Schedule.name is not unique in django-q2)."""
    from django_q.models import Schedule

    now = timezone.localtime()
    eight = dict(hour=8, minute=0, second=0, microsecond=0)
    next_monday = (now + timedelta(days=(7 - now.weekday()) % 7 or 7)).replace(**eight)
    first_of_month = (now.replace(day=1) + timedelta(days=32)).replace(day=1, **eight)
    for name, func, kind, next_run in [
        ("shixun_schools.weekly_reminders", "shixun.schools.tasks.send_weekly_reminders",
         Schedule.WEEKLY, next_monday),
        ("shixun_schools.monthly_digests", "shixun.schools.tasks.send_monthly_digests",
         Schedule.MONTHLY, first_of_month),
    ]:
        schedule, created = Schedule.objects.update_or_create(
            name=name, defaults={"func": func, "schedule_type": kind}
        )
        if created:  # keep the next run a running cluster already moved on
            schedule.next_run = next_run
            schedule.save(update_fields=["next_run"])
