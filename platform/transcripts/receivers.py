"""Listening to the courses app: a completion enqueues its posting after commit."""

from django.db import transaction
from django_q.tasks import async_task

RECONCILE_SCHEDULE_NAME = "transcripts: post missing credit"


def enqueue_module_completion(sender, completion, **kwargs):
    # The signal is already sent after commit; on_commit keeps this correct
    # even if someone sends it inside a transaction (it then runs at once
    # outside one).
    transaction.on_commit(lambda: async_task("transcripts.tasks.post_module_completion", completion.pk))


def enqueue_course_completion(sender, completion, **kwargs):
    transaction.on_commit(lambda: async_task("transcripts.tasks.process_course_completion", completion.pk))


def register_schedules(**kwargs):
    """Register the reconciliation job once (Schedule.name is not unique, so update_or_create by name)."""
    from django_q.models import Schedule

    Schedule.objects.update_or_create(
        name=RECONCILE_SCHEDULE_NAME,
        defaults={
            "func": "transcripts.tasks.reconcile",
            "schedule_type": Schedule.MINUTES,
            "minutes": 1,
            "repeats": -1,
        },
    )


def grant_admin_permissions(**kwargs):
    """Trainers may configure course grading and certificates in the Wagtail admin."""
    from django.contrib.auth.models import Group, Permission

    from accounts.models import Role

    codenames = ["add_coursecreditsettings", "change_coursecreditsettings", "view_coursecreditsettings"]
    permissions = Permission.objects.filter(content_type__app_label="shixun_transcripts", codename__in=codenames)
    if not permissions:
        return
    group, _ = Group.objects.get_or_create(name=Role.TRAINER.value)
    group.permissions.add(*permissions)
