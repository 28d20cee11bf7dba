"""django-q2 tasks of the attendance app."""

REMINDER_SCHEDULE = "shixun_attendance.session_reminders"


def send_session_reminders() -> int:
    from .services import send_session_reminders as send

    return send()


def register_schedule(**kwargs) -> None:
    """post_migrate: the daily reminder, created or updated by name (Schedule.name is not unique in django-q2)."""
    from django_q.models import Schedule

    Schedule.objects.update_or_create(
        name=REMINDER_SCHEDULE,
        defaults={"func": "shixun.attendance.tasks.send_session_reminders", "schedule_type": Schedule.DAILY},
    )
