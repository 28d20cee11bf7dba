"""The rules of attendance as plain functions: session checks, rotating codes, sign-in windows, absence days.

Decisions (issue #20, DOMAIN.md "考勤 / 请假"):
- Present and late mean attended: only they make the attendance activity DONE. Approved leave is NOT
  attendance (an hour needs evidence of study), but it is not unexcused absence either.
- A teacher is absent without leave from a session that has ended when they have no mark (or are marked
  absent) and no approved leave; sessions before their enrolment do not count.
- An unexcused absence DAY is a date with at least one such session: two half-day sessions missed on the
  same date are one day, as the district rules count days (无故缺勤两天及以上).
"""

from __future__ import annotations

import hmac
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from hashlib import sha256

from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext as _

from shixun.config.conf import shixun_settings

from .models import AttendanceStatus

# --- Sessions --------------------------------------------------------------------------------

DEFAULT_WINDOW_BEFORE = timedelta(minutes=30)
DEFAULT_WINDOW_AFTER = timedelta(minutes=30)


def _minutes(t) -> int:
    return t.hour * 60 + t.minute


def fill_default_windows(session) -> None:
    """Sign-in opens 30 minutes before the start and closes 30 minutes after it, unless set."""
    if session.starts_at is None:
        return
    start = datetime.combine(date(2000, 1, 1), session.starts_at)
    if session.sign_in_opens is None:
        session.sign_in_opens = max(start - DEFAULT_WINDOW_BEFORE, start.replace(hour=0, minute=0)).time()
    if session.sign_in_closes is None:
        session.sign_in_closes = min(start + DEFAULT_WINDOW_AFTER, start.replace(hour=23, minute=59)).time()


def session_errors(session) -> dict[str, str]:
    """{field: message} of everything wrong with a session's times and place; empty when it is fine."""
    errors: dict[str, str] = {}
    start, end = session.starts_at, session.ends_at
    if start is not None and end is not None and _minutes(end) <= _minutes(start):
        errors["ends_at"] = _("The session must end after it starts.")
    opens, closes = session.sign_in_opens, session.sign_in_closes
    if opens is not None and closes is not None:
        if _minutes(closes) <= _minutes(opens):
            errors["sign_in_closes"] = _("Sign-in must close after it opens.")
        elif end is not None and _minutes(opens) >= _minutes(end):
            errors["sign_in_opens"] = _("Sign-in must open before the session ends.")
    out_opens, out_closes = session.sign_out_opens, session.sign_out_closes
    if (out_opens is None) != (out_closes is None):
        errors["sign_out_closes"] = _("Give both times of the sign-out window, or neither.")
    elif out_opens is not None:
        if _minutes(out_closes) <= _minutes(out_opens):
            errors["sign_out_closes"] = _("Sign-out must close after it opens.")
        elif closes is not None and _minutes(out_opens) < _minutes(closes):
            errors["sign_out_opens"] = _("Sign-out must open after sign-in closes.")
    if session.kind == "venue" and not session.venue.strip():
        errors["venue"] = _("Give the venue of a face-to-face session.")
    if session.kind == "online" and not session.meeting_link.strip():
        errors["meeting_link"] = _("Give the meeting link of a live online session.")
    if session.code_seconds is not None and not 10 <= session.code_seconds <= 600:
        errors["code_seconds"] = _("The code must rotate every 10 to 600 seconds.")
    return errors


# --- Rotating codes ---------------------------------------------------------------------------
#
# A code is an HMAC of (session, time step) under the site's SECRET_KEY and the session's own secret:
# it cannot be forged, it opens only its own session, and it is worth the current step and the one
# before (so a scan just before the rotation still works), i.e. between one and two steps.

SHORT_CODE_DIGITS = 6


def code_seconds(session) -> int:
    return session.code_seconds or shixun_settings.SHIXUN_ATTENDANCE_CODE_SECONDS


def current_step(session, now: datetime | None = None) -> int:
    return int((now or timezone.now()).timestamp()) // code_seconds(session)


def seconds_to_next_step(session, now: datetime | None = None) -> int:
    now = now or timezone.now()
    seconds = code_seconds(session)
    return seconds - int(now.timestamp()) % seconds


def _mac(session, step: int, purpose: str) -> str:
    key = f"{settings.SECRET_KEY}:shixun.attendance:{session.secret}".encode()
    return hmac.new(key, f"{purpose}:{session.pk}:{step}".encode(), sha256).hexdigest()


def token_for(session, step: int) -> str:
    """The token in the QR code's URL: session, step and a MAC."""
    return f"{session.pk}-{step}-{_mac(session, step, 'qr')[:20]}"


def short_code_for(session, step: int) -> str:
    """The code typed by hand: six digits, rotating with the QR code."""
    return str(int(_mac(session, step, "short"), 16) % 10**SHORT_CODE_DIGITS).zfill(SHORT_CODE_DIGITS)


def parse_token(token: str) -> tuple[int, int, str] | None:
    """(session pk, step, mac) of a well-formed token, else None."""
    parts = token.split("-")
    if len(parts) != 3 or not parts[0].isdigit() or not parts[1].isdigit():
        return None
    return int(parts[0]), int(parts[1]), parts[2]


class CodeProblem(Exception):
    """The code cannot sign in (its message says why, in the user's language)."""


def check_token(session, step: int, mac: str, now: datetime | None = None) -> None:
    """Raise CodeProblem unless the token is this session's and of the current or the previous step."""
    if not hmac.compare_digest(mac, _mac(session, step, "qr")[:20]):
        raise CodeProblem(_("This code is not valid. Scan the code the trainer shows now."))
    if step not in _accepted_steps(session, now):
        raise CodeProblem(_("This code has expired. Scan the code again, or type the short code shown beside it."))


def check_short_code(session, code: str, now: datetime | None = None) -> bool:
    code = code.strip()
    return any(hmac.compare_digest(code, short_code_for(session, step)) for step in _accepted_steps(session, now))


def _accepted_steps(session, now: datetime | None) -> tuple[int, int]:
    step = current_step(session, now)
    return step, step - 1


# --- Windows and marks ------------------------------------------------------------------------

SIGN_IN = "in"
SIGN_OUT = "out"


def window_now(session, now: datetime | None = None) -> str | None:
    """SIGN_IN or SIGN_OUT when the moment is inside that window, else None."""
    now = now or timezone.now()
    if session.at(session.sign_in_opens) <= now <= session.at(session.sign_in_closes):
        return SIGN_IN
    if session.takes_sign_out and session.at(session.sign_out_opens) <= now <= session.at(session.sign_out_closes):
        return SIGN_OUT
    return None


def outside_window_message(session, now: datetime | None = None) -> str:
    now = now or timezone.now()
    opens = session.at(session.sign_in_opens)
    if now < opens:
        return _("Sign-in has not opened yet: it opens at %(time)s on %(date)s.") % {
            "time": f"{session.sign_in_opens:%H:%M}", "date": f"{session.date:%Y-%m-%d}"}
    return _("Sign-in for this session closed at %(time)s. Ask the trainer to mark your attendance.") % {
        "time": f"{session.sign_in_closes:%H:%M}"}


def status_on_sign_in(session, now: datetime | None = None) -> str:
    """Present when signed in by the start (plus a minute's grace), late after it."""
    now = now or timezone.now()
    return AttendanceStatus.PRESENT if now <= session.start + timedelta(minutes=1) else AttendanceStatus.LATE


def has_ended(session, now: datetime | None = None) -> bool:
    return (now or timezone.now()) >= session.end


def has_started(session, now: datetime | None = None) -> bool:
    return (now or timezone.now()) >= session.start


@dataclass(frozen=True)
class Standing:
    """Where a teacher stands for one session: the mark to show and whether it is unexcused absence."""

    status: str | None  # an AttendanceStatus, or None: no mark yet (the session has not ended)
    marked: bool  # a row exists (else the status follows from leave or the clock)
    unexcused: bool


def standing(*, mark: str | None, approved_leave: bool, ended: bool, requires_sign_out: bool = False,
             signed_in: bool = False, signed_out: bool = False) -> Standing:
    """The one rule that turns a mark, leave and the clock into a standing (the class list, export and days)."""
    if mark is not None:
        status = mark
        # Signed in by code but never signed out of a session that takes sign-out: left early.
        if (ended and requires_sign_out and signed_in and not signed_out
                and mark in (AttendanceStatus.PRESENT, AttendanceStatus.LATE)):
            status = AttendanceStatus.LEFT_EARLY
        return Standing(status, True, status == AttendanceStatus.ABSENT and not approved_leave)
    if approved_leave:
        return Standing(AttendanceStatus.ON_LEAVE, False, False)
    if ended:
        return Standing(AttendanceStatus.ABSENT, False, True)
    return Standing(None, False, False)


def absence_days(unexcused_dates) -> int:
    """Days of unexcused absence: distinct dates with at least one unexcused absence."""
    return len(set(unexcused_dates))
