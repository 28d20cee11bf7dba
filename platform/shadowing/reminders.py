"""Daily reminders for visiting teachers, into the in-site inbox (shixun.inbox.notices), by a django-q2 schedule.

- No journal for the last working day of the programme (Friday's on a
  Monday), unless the teacher asked for leave that day.
- The research report due within REPORT_DUE_WITHIN days and not handed in.

Each message's key holds the day it is about (the missing journal's day;
for the report, the day it is sent), so a schedule run twice (or a task
delivered again) sends nothing twice: one reminder per missing journal day,
and one a day about the report in its last days.
"""

from __future__ import annotations

from datetime import date, timedelta

from django.db import transaction
from django.utils import timezone

from shixun.inbox import notices

from . import rules
from .models import JournalDay, Leave, Participant, Programme, Writing

REPORT_DUE_WITHIN = 3  # days
SCHEDULE_NAME = "shixun_shadowing.daily_reminders"


def send_daily_reminders(today: date | None = None) -> dict[str, int]:
    """Send today's reminders; returns how many of each were sent (already-sent ones are not counted)."""
    today = today or timezone.localdate()
    sent = {"journal": 0, "report": 0}
    # Running programmes only: a closed one's records can no longer change.
    programmes = Programme.objects.filter(status=Programme.Status.OPEN, start_date__lt=today)
    for programme in programmes:
        participants = Participant.objects.filter(programme=programme).select_related("teacher")
        day = rules.previous_working_day(programme, today)
        if day is not None:
            missing = participants.exclude(
                pk__in=JournalDay.objects.filter(participant__programme=programme, day=day).values("participant_id")
            ).exclude(pk__in=Leave.objects.filter(participant__programme=programme, day=day).values("participant_id"))
            for participant in missing:
                with transaction.atomic():
                    sent["journal"] += notices.shadowing_journal_missing(participant, day)
        if rules.report_due_soon(programme, today, REPORT_DUE_WITHIN):
            due = rules.report_due(programme)
            without = participants.exclude(
                pk__in=Writing.objects.filter(participant__programme=programme, kind=Writing.Kind.REPORT)
                .values("participant_id")
            )
            for participant in without:
                with transaction.atomic():
                    sent["report"] += notices.shadowing_report_due(participant, due, today)
    return sent


def register_schedules(**kwargs) -> None:
    """post_migrate: the daily schedule at 08:00, created or updated by name (Schedule.name is not unique)."""
    from django_q.models import Schedule

    now = timezone.localtime()
    next_run = now.replace(hour=8, minute=0, second=0, microsecond=0)
    if next_run <= now:
        next_run += timedelta(days=1)
    schedule, created = Schedule.objects.update_or_create(
        name=SCHEDULE_NAME,
        defaults={"func": "shixun.shadowing.reminders.send_daily_reminders", "schedule_type": Schedule.DAILY},
    )
    if created:  # keep the next run a running cluster already moved on
        schedule.next_run = next_run
        schedule.save(update_fields=["next_run"])
