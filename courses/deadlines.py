"""When a module's due date counts against a learner.

Due dates are set on the module (one date for everyone), and teachers are
enrolled all year round. A date that had already passed when the teacher was
enrolled is not the teacher's failure: it is shown as "due before you
enrolled: finish as soon as you can", never as overdue in red.
"""

from datetime import date, datetime
from enum import StrEnum

from django.utils import timezone


class DueState(StrEnum):
    NONE = ""  # no due date, or the work is done
    UPCOMING = "upcoming"
    OVERDUE = "overdue"
    BEFORE_ENROLMENT = "before_enrolment"


def enrolment_date(enrolled_at: datetime | None) -> date | None:
    return timezone.localdate(enrolled_at) if enrolled_at else None


def due_state(due: date | None, *, done: bool, enrolled_on: date | None, today: date) -> DueState:
    """The state of one due date for one learner; enrolled_on None = not enrolled (nothing is late)."""
    if due is None or done:
        return DueState.NONE
    if enrolled_on is not None and due < enrolled_on:
        return DueState.BEFORE_ENROLMENT
    if due < today and enrolled_on is not None:
        return DueState.OVERDUE
    return DueState.UPCOMING
