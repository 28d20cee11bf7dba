"""The messages Shixun sends, in one place: their keys, texts and links.

Each function is called by the service that makes the decision, inside its
transaction. Texts are marked with gettext_noop: stored untranslated and
translated when the recipient reads them (shixun.inbox.models.Message).
"""

from django.urls import reverse
from django.utils.translation import gettext_noop

from .services import send


def _course_url(course) -> str:
    try:
        return course.url or ""
    except Exception:  # noqa: BLE001 - a page outside any site has no URL; the message still goes
        return ""


def application_recommended(application) -> None:
    send(
        application.user, f"application-recommended:{application.pk}",
        gettext_noop("Your school recommended your application for “%(course)s”"),
        body=gettext_noop("The district office decides next; you will get a message here."),
        params={"course": application.course.title}, url=_course_url(application.course),
    )


def application_refused(application) -> None:
    send(
        application.user, f"application-refused:{application.pk}",
        gettext_noop("Your application for “%(course)s” was not accepted"),
        body=gettext_noop("Reason: %(reason)s"),
        params={"course": application.course.title, "reason": application.refusal_reason},
        url=_course_url(application.course),
    )


def application_approved(application) -> None:
    send(
        application.user, f"application-approved:{application.pk}",
        gettext_noop("Your application for “%(course)s” was approved: you are enrolled"),
        body=gettext_noop("Open the course to start its first module."),
        params={"course": application.course.title}, url=_course_url(application.course),
    )


def external_training_approved(record) -> None:
    send(
        record.teacher, f"external-training-approved:{record.pk}",
        gettext_noop("Your training “%(title)s” was approved: %(hours)s hours are on your transcript"),
        params={"title": record.title, "hours": str(record.hours)}, url=reverse("transcripts:mine"),
    )


def external_training_returned(record) -> None:
    send(
        record.teacher, f"external-training-returned:{record.pk}",
        gettext_noop("Your training “%(title)s” was not approved"),
        body=gettext_noop("Reason: %(reason)s\nCorrect it and register it again."),
        params={"title": record.title, "reason": record.rejection_reason},
        url=reverse("schools:my_external_training"),
    )


def work_reviewed(version, module_url: str) -> None:
    submission = version.submission
    send(
        submission.learner, f"work-reviewed:{version.pk}",
        gettext_noop("Your work for “%(assignment)s” has been reviewed"),
        body=gettext_noop("Open the module to read the trainer's comments."),
        params={"assignment": str(submission.assignment)}, url=module_url,
    )


def weekly_reminder(teacher, week: str, url: str) -> None:
    send(
        teacher, f"weekly-reminder:{week}",
        gettext_noop("Reminder: training work is waiting for you"),
        body=gettext_noop("You are behind on your credit hours or a module is due soon. Open your learning page "
                          "to see what to do next."),
        url=url,
    )


def shadowing_leave_approved(leave) -> None:
    participant = leave.participant
    send(
        participant.teacher, f"shadowing-leave-approved:{leave.pk}",
        gettext_noop("Your leave on %(day)s was approved by your mentor and the base school"),
        body=gettext_noop("The day counts as excused."),
        params={"day": leave.day.isoformat()}, url=reverse("shadowing:workspace", args=[participant.pk]),
    )


def leave_decided(leave, approved: bool) -> None:
    session = leave.session
    send(
        leave.learner, f"leave-decided:{leave.pk}",
        gettext_noop("Your leave for “%(session)s” on %(day)s was approved") if approved else
        gettext_noop("Your leave for “%(session)s” on %(day)s was refused"),
        body=gettext_noop("The school's note: %(note)s") if leave.decision_note else "",
        params={"session": session.title, "day": session.date.isoformat(), "note": leave.decision_note},
        url=reverse("attendance:my_sessions"),
    )


def session_tomorrow(learner, session) -> bool:
    return send(
        learner, f"session-reminder:{session.pk}",
        gettext_noop("Tomorrow: “%(session)s” at %(start)s"),
        body=gettext_noop("Where: %(place)s. Sign in there with the code the trainer shows, or ask for leave "
                          "before it starts."),
        params={"session": session.title, "start": session.starts_at.strftime("%H:%M"),
                "place": session.venue or session.meeting_link or ""},
        url=reverse("attendance:my_sessions"),
    )


def shadowing_journal_missing(participant, day) -> bool:
    """Daily: a visiting teacher kept no journal for the last working day (one message per day)."""
    return send(
        participant.teacher, f"shadowing-journal-missing:{participant.pk}:{day.isoformat()}",
        gettext_noop("No shadowing journal for %(day)s yet"),
        body=gettext_noop("Write what you did and learnt that day; the journal counts towards your result."),
        params={"day": day.isoformat()}, url=reverse("shadowing:workspace", args=[participant.pk]) + "#journal",
    )


def shadowing_report_due(participant, due, today) -> bool:
    """Daily in the last days before the research report is due, while it is not handed in."""
    return send(
        participant.teacher, f"shadowing-report-due:{participant.pk}:{today.isoformat()}",
        gettext_noop("Your research report is due by %(day)s"),
        body=gettext_noop("Without the research report the shadowing training is not passed."),
        params={"day": due.isoformat()}, url=reverse("shadowing:workspace", args=[participant.pk]) + "#writing",
    )
