"""Listening to the courses app: a completion enqueues its posting after commit."""

from django.db import transaction
from django_q.tasks import async_task

from .posting import enqueue_posting

RECONCILE_SCHEDULE_NAME = "transcripts: post missing credit"


def enqueue_module_completion(sender, completion, **kwargs):
    # The signal is already sent after commit; on_commit keeps this correct
    # even if someone sends it inside a transaction (it then runs at once
    # outside one).
    transaction.on_commit(lambda: enqueue_posting(completion.pk))


def enqueue_course_completion(sender, completion, **kwargs):
    transaction.on_commit(lambda: async_task("shixun.transcripts.tasks.process_course_completion", completion.pk))


def register_schedules(**kwargs):
    """Register the reconciliation job once (Schedule.name is not unique, so update_or_create by name)."""
    from django_q.models import Schedule

    Schedule.objects.update_or_create(
        name=RECONCILE_SCHEDULE_NAME,
        defaults={
            "func": "shixun.transcripts.tasks.reconcile",
            "schedule_type": Schedule.MINUTES,
            "minutes": 1,
            "repeats": -1,
        },
    )


def grant_admin_permissions(**kwargs):
    """Trainers may configure course grading and certificates in the Wagtail admin."""
    from shixun.accounts.models import Role
    from shixun.accounts.roles import grant_model_permissions

    codenames = ["add_coursecreditsettings", "change_coursecreditsettings", "view_coursecreditsettings"]
    grant_model_permissions("shixun_transcripts", {Role.TRAINER: codenames})


def reevaluate_attendance(sender, course_id, learner_ids, person_id=None, **kwargs):
    """Attendance changed (a mark, a leave decision): bring the learners' certificates in line, after commit.

    The change was the permitted act (attendance checked its actor); a revocation that follows is
    recorded under that person, who a reversal of the course award needs.
    """
    from django.contrib.auth import get_user_model

    from shixun.accounts.actors import SYSTEM, acting_for

    from .certificates import evaluate_course
    from .models import CourseCreditSettings

    def run():
        if not CourseCreditSettings.objects.filter(course_id=course_id, void_at_absent_days__isnull=False).exists():
            return
        person = get_user_model().objects.filter(pk=person_id).first() if person_id else None
        actor = acting_for(person) if person is not None else SYSTEM
        for learner in get_user_model().objects.filter(pk__in=learner_ids):
            evaluate_course(learner, course_id, actor=actor, via="attendance")

    transaction.on_commit(run)
