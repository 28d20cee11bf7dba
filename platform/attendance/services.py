"""Every change of attendance state, one function each: check the actor and the rules, then write atomically.

A refusal raises AttendanceError (or NotPermitted) before anything is written.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime

from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from shixun.accounts.actors import NotPermitted, recorded_person, require
from shixun.courses.activities import placed_ids
from shixun.courses.models import ActivityStatus, Enrolment
from shixun.courses.progress import record_activity_status
from shixun.inbox import notices

from . import rules
from .models import (
    ATTENDED,
    Attendance,
    AttendanceChange,
    AttendanceSource,
    AttendanceStatus,
    LeaveRequest,
    LeaveStatus,
    Session,
)
from .permissions import can_decide_leave, can_run_course_sessions
from .signals import attendance_changed


class AttendanceError(Exception):
    """A refused request; the message says why (translated), nothing was written."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


# --- Sessions ---------------------------------------------------------------------------------


def save_session(actor, session: Session, trainers=None) -> Session:
    """Create or change a session of a course the actor runs; its times are checked first."""
    require(actor, lambda user: can_run_course_sessions(user, session.course),
            _("You do not run the sessions of this course."))
    rules.fill_default_windows(session)
    session.full_clean()
    with transaction.atomic():
        session.save()
        if trainers is not None:
            session.trainers.set(trainers)
    return session


# --- Signing in by code -----------------------------------------------------------------------


@dataclass(frozen=True)
class SignInResult:
    attendance: Attendance
    action: str  # rules.SIGN_IN or rules.SIGN_OUT


def _enrolled(user, course_id) -> bool:
    return Enrolment.objects.filter(user=user, course_id=course_id, status=Enrolment.Status.ACTIVE).exists()


def check_can_sign_in(user, session: Session, now: datetime | None = None) -> str:
    """The window open now (rules.SIGN_IN or SIGN_OUT), or AttendanceError: not enrolled, outside the windows."""
    now = now or timezone.now()
    if not _enrolled(user, session.course_id):
        raise AttendanceError(_("You are not enrolled in this course, so you cannot sign in to its sessions."))
    window = rules.window_now(session, now)
    if window is None:
        raise AttendanceError(rules.outside_window_message(session, now))
    return window


def sign_in(user, session: Session, *, source: str = AttendanceSource.QR, now: datetime | None = None) -> SignInResult:
    """The teacher signs in (or out, in the sign-out window) with a valid code. Once; a second try is refused."""
    now = now or timezone.now()
    window = check_can_sign_in(user, session, now)
    if window == rules.SIGN_OUT:
        return _sign_out(user, session, now)
    status = rules.status_on_sign_in(session, now)
    with transaction.atomic():
        try:
            # The unique key (session, learner) decides between two simultaneous sign-ins.
            with transaction.atomic():
                attendance = Attendance.objects.create(
                    session=session, learner=user, status=status, source=source, signed_in_at=now, updated_at=now,
                )
        except IntegrityError:
            raise AttendanceError(_already_message(user, session)) from None
        AttendanceChange.objects.create(
            attendance=attendance, changed_by=user, changed_at=now, before="", after=status, source=source,
        )
        _report_progress(user, session, status)
    return SignInResult(attendance, rules.SIGN_IN)


def _already_message(user, session) -> str:
    existing = Attendance.objects.filter(session=session, learner=user).first()
    if existing is not None and existing.signed_in_at is not None:
        return _("You already signed in to this session at %(time)s.") % {
            "time": f"{timezone.localtime(existing.signed_in_at):%H:%M}"}
    return _("Your attendance at this session is already recorded.")


def _sign_out(user, session, now) -> SignInResult:
    with transaction.atomic():
        attendance = Attendance.objects.select_for_update().filter(session=session, learner=user).first()
        if attendance is None or attendance.signed_in_at is None:
            raise AttendanceError(_("You did not sign in to this session, so you cannot sign out. Ask the trainer."))
        if attendance.signed_out_at is not None:
            raise AttendanceError(_("You already signed out of this session at %(time)s.") % {
                "time": f"{timezone.localtime(attendance.signed_out_at):%H:%M}"})
        attendance.signed_out_at = now
        attendance.updated_at = now
        attendance.save(update_fields=["signed_out_at", "updated_at"])
    return SignInResult(attendance, rules.SIGN_OUT)


def session_for_token(token: str) -> tuple[Session, int, str]:
    """The session a QR token names, or AttendanceError (malformed or unknown: the same message as forged)."""
    parsed = rules.parse_token(token)
    session = Session.objects.select_related("course").filter(pk=parsed[0]).first() if parsed else None
    if session is None:
        raise AttendanceError(_("This code is not valid. Scan the code the trainer shows now."))
    return session, parsed[1], parsed[2]


def sign_in_with_token(user, token: str, *, now: datetime | None = None) -> SignInResult:
    session, step, mac = session_for_token(token)
    try:
        rules.check_token(session, step, mac, now)
    except rules.CodeProblem as problem:
        raise AttendanceError(str(problem)) from None
    return sign_in(user, session, source=AttendanceSource.QR, now=now)


def sign_in_with_short_code(user, code: str, *, session: Session | None = None,
                            now: datetime | None = None) -> SignInResult:
    """A typed code: checked against the given session, or against the teacher's sessions of today."""
    now = now or timezone.now()
    code = (code or "").strip()
    if not (code.isdigit() and len(code) == rules.SHORT_CODE_DIGITS):
        raise AttendanceError(_("Type the six digits shown beside the QR code."))
    if session is not None:
        candidates = [session]
    else:
        candidates = list(
            Session.objects.filter(
                date=timezone.localdate(now), course__enrolments__user=user,
                course__enrolments__status=Enrolment.Status.ACTIVE,
            ).select_related("course")
        )
    for candidate in candidates:
        if rules.check_short_code(candidate, code, now):
            return sign_in(user, candidate, source=AttendanceSource.TYPED_CODE, now=now)
    raise AttendanceError(_("This code is not valid or has expired. Type the code the trainer shows now."))


def _report_progress(user, session, status) -> None:
    """The attendance activity is done for every live module of the course that places this session."""
    if status not in ATTENDED:
        return
    for module in session.course.live_modules():
        if session.pk in placed_ids(module, "attendance"):
            record_activity_status(user, module, session.activity_key, ActivityStatus.DONE)


# --- The trainer's marks ----------------------------------------------------------------------


def mark(actor, session: Session, learner, status: str, *, reason: str = "", paper: bool = False,
         now: datetime | None = None) -> Attendance | None:
    """A trainer marks one teacher; after the session ended a reason is required. Audited; None if unchanged."""
    now = now or timezone.now()
    require(actor, lambda user: can_run_course_sessions(user, session.course),
            _("You do not run the sessions of this course."))
    if status not in AttendanceStatus.values:
        raise AttendanceError(_("Choose one of the attendance marks."))
    if not _enrolled(learner, session.course_id):
        raise AttendanceError(_("This teacher is not enrolled in the course."))
    reason = (reason or "").strip()
    if rules.has_ended(session, now) and not reason:
        raise AttendanceError(_("The session has ended: give a reason for changing the attendance."))
    if status == AttendanceStatus.ON_LEAVE and not _has_approved_leave(learner, session):
        raise AttendanceError(_("Only the school can grant leave: this teacher has no approved leave for the session."))
    source = AttendanceSource.PAPER if paper else AttendanceSource.TRAINER
    person = recorded_person(actor)
    with transaction.atomic():
        attendance = Attendance.objects.select_for_update().filter(session=session, learner=learner).first()
        before = attendance.status if attendance else ""
        if attendance is not None and before == status:
            return None
        if attendance is None:
            try:
                with transaction.atomic():
                    attendance = Attendance.objects.create(
                        session=session, learner=learner, status=status, source=source, updated_at=now)
            except IntegrityError:  # the teacher signed in meanwhile: mark over it
                attendance = Attendance.objects.select_for_update().get(session=session, learner=learner)
                before = attendance.status
        if attendance.status != status or attendance.source != source:
            attendance.status, attendance.source, attendance.updated_at = status, source, now
            attendance.save(update_fields=["status", "source", "updated_at"])
        AttendanceChange.objects.create(
            attendance=attendance, changed_by=person, changed_at=now, before=before, after=status, source=source,
            reason=reason,
        )
        _report_progress(learner, session, status)
        _announce(session.course_id, [learner.pk], person)
    return attendance


def _announce(course_id, learner_ids, person) -> None:
    person_id = person.pk if person is not None else None
    transaction.on_commit(lambda: attendance_changed.send(
        sender=Attendance, course_id=course_id, learner_ids=list(learner_ids), person_id=person_id))


# --- Leave ------------------------------------------------------------------------------------


def _has_approved_leave(learner, session) -> bool:
    return LeaveRequest.objects.filter(session=session, learner=learner, status=LeaveStatus.APPROVED).exists()


def request_leave(user, session: Session, reason: str, *, now: datetime | None = None) -> LeaveRequest:
    """A teacher asks for leave from an upcoming session of a course they are enrolled in, with a reason."""
    now = now or timezone.now()
    if not _enrolled(user, session.course_id):
        raise AttendanceError(_("You are not enrolled in this course."))
    if rules.has_started(session, now):
        raise AttendanceError(_("Leave is asked for before a session starts; this session has already started."))
    reason = (reason or "").strip()
    if not reason:
        raise AttendanceError(_("Give the reason for your leave."))
    if len(reason) > 1000:
        raise AttendanceError(_("Keep the reason under 1000 characters."))
    try:
        with transaction.atomic():
            return LeaveRequest.objects.create(session=session, learner=user, reason=reason, requested_at=now)
    except IntegrityError:
        raise AttendanceError(_("You have already asked for leave from this session.")) from None


def decide_leave(actor, leave: LeaveRequest, *, approve: bool, note: str = "",
                 now: datetime | None = None) -> LeaveRequest:
    """The teacher's school admin approves or refuses a pending request (once)."""
    now = now or timezone.now()
    require(actor, lambda user: can_decide_leave(user, leave), _("Only the teacher's own school decides their leave."))
    with transaction.atomic():
        leave = LeaveRequest.objects.select_for_update().select_related("session").get(pk=leave.pk)
        if leave.status != LeaveStatus.PENDING:
            raise AttendanceError(_("This request has already been decided."))
        leave.status = LeaveStatus.APPROVED if approve else LeaveStatus.REFUSED
        leave.decided_by = recorded_person(actor)
        leave.decided_at = now
        leave.decision_note = (note or "").strip()[:1000]
        leave.save(update_fields=["status", "decided_by", "decided_at", "decision_note"])
        _announce(leave.session.course_id, [leave.learner_id], leave.decided_by)
        notices.leave_decided(leave, approve)
    return leave


def withdraw_leave(user, leave: LeaveRequest, *, now: datetime | None = None) -> LeaveRequest:
    """The teacher takes back a pending request of their own."""
    if leave.learner_id != user.pk:
        raise NotPermitted()
    with transaction.atomic():
        leave = LeaveRequest.objects.select_for_update().get(pk=leave.pk)
        if leave.status != LeaveStatus.PENDING:
            raise AttendanceError(_("This request has already been decided."))
        leave.status = LeaveStatus.WITHDRAWN
        leave.save(update_fields=["status"])
    return leave


# --- Reading: the class list and absence ------------------------------------------------------


@dataclass
class ClassListRow:
    learner: object
    standing: rules.Standing
    attendance: Attendance | None
    leave: LeaveRequest | None


def enrolled_learners(course_id):
    from django.contrib.auth import get_user_model

    return (
        get_user_model().objects.filter(enrolments__course_id=course_id, enrolments__status=Enrolment.Status.ACTIVE)
        .select_related("shixun_profile__school")
        .order_by("shixun_profile__school__name", "shixun_profile__staff_number", "username")
    )


def class_list(session: Session, now: datetime | None = None) -> list[ClassListRow]:
    """Every enrolled teacher with their standing for the session (three queries)."""
    now = now or timezone.now()
    learners = list(enrolled_learners(session.course_id))
    marks = {a.learner_id: a for a in Attendance.objects.filter(session=session)}
    leaves = {}
    for leave in LeaveRequest.objects.filter(session=session).exclude(status=LeaveStatus.WITHDRAWN).order_by("pk"):
        leaves[leave.learner_id] = leave
    ended = rules.has_ended(session, now)
    rows = []
    for learner in learners:
        attendance = marks.get(learner.pk)
        leave = leaves.get(learner.pk)
        rows.append(ClassListRow(learner, _standing(session, attendance, leave, ended), attendance, leave))
    return rows


def _standing(session, attendance, leave, ended) -> rules.Standing:
    return rules.standing(
        mark=attendance.status if attendance else None,
        approved_leave=leave is not None and leave.status == LeaveStatus.APPROVED,
        ended=ended,
        requires_sign_out=session.takes_sign_out,
        signed_in=bool(attendance and attendance.signed_in_at),
        signed_out=bool(attendance and attendance.signed_out_at),
    )


def unexcused_absence_days(course, learner_ids=None, *, now: datetime | None = None) -> dict[int, int]:
    """Days of unexcused absence per learner in a course, from its sessions that have ended. Four queries.

    Only active enrolments are counted, each from the day of enrolment; a learner without any
    unexcused absence maps to 0. This is the number the course's attendance rule reads.
    """
    now = now or timezone.now()
    course_id = getattr(course, "pk", course)
    enrolments = Enrolment.objects.filter(course_id=course_id, status=Enrolment.Status.ACTIVE)
    if learner_ids is not None:
        enrolments = enrolments.filter(user_id__in=list(learner_ids))
    enrolled_on = {user_id: timezone.localdate(at) for user_id, at in enrolments.values_list("user_id", "enrolled_at")}
    days = {user_id: 0 for user_id in enrolled_on}
    if not enrolled_on:
        return days
    today = timezone.localdate(now)
    sessions = [s for s in Session.objects.filter(course_id=course_id, date__lte=today) if rules.has_ended(s, now)]
    if not sessions:
        return days
    ids = list(enrolled_on)
    marks = {(a.session_id, a.learner_id): a for a in
             Attendance.objects.filter(session__in=sessions, learner_id__in=ids)}
    approved = set(
        LeaveRequest.objects.filter(session__in=sessions, learner_id__in=ids, status=LeaveStatus.APPROVED)
        .values_list("session_id", "learner_id")
    )
    unexcused: dict[int, list] = defaultdict(list)
    for session in sessions:
        for learner_id, since in enrolled_on.items():
            if session.date < since:
                continue
            attendance = marks.get((session.pk, learner_id))
            if _standing(session, attendance, _Approved if (session.pk, learner_id) in approved else None,
                         True).unexcused:
                unexcused[learner_id].append(session.date)
    for learner_id, dates in unexcused.items():
        days[learner_id] = rules.absence_days(dates)
    return days


class _Approved:
    status = LeaveStatus.APPROVED


def course_has_sessions(course) -> bool:
    return Session.objects.filter(course_id=getattr(course, "pk", course)).exists()


def sessions_visible_to_learner(user):
    return Session.objects.filter(
        Q(course__enrolments__user=user, course__enrolments__status=Enrolment.Status.ACTIVE)
    ).select_related("course")


def send_session_reminders(on_date=None) -> int:
    """The day before each session, every enrolled teacher gets a message in the inbox (once per session: the
    message's key). Run daily by django-q2 (shixun.attendance.tasks); returns how many were sent by this run."""
    from datetime import timedelta

    on_date = on_date or timezone.localdate()
    sent = 0
    for session in Session.objects.filter(date=on_date + timedelta(days=1)).select_related("course"):
        for learner in enrolled_learners(session.course_id):
            sent += notices.session_tomorrow(learner, session)
    return sent
