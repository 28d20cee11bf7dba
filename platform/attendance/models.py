"""Sessions of a course, who attended them, the audit of every mark, and leave requests (请假)."""

import secrets
from datetime import datetime, time
from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MinValueValidator
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy
from wagtail.admin.panels import FieldPanel, MultiFieldPanel


def _new_secret() -> str:
    return secrets.token_hex(16)


class SessionKind(models.TextChoices):
    FACE_TO_FACE = "venue", _("Face-to-face (venue)")
    ONLINE = "online", _("Live online (meeting link)")
    SCHOOL_BASED = "school", _("School-based")


class Session(models.Model):
    """One scheduled meeting of a course: where and when, who trains, and when teachers may sign in (and out)."""

    course = models.ForeignKey(
        "shixun_courses.CoursePage", on_delete=models.CASCADE, related_name="attendance_sessions",
        verbose_name=_("course"),
    )
    title = models.CharField(_("title"), max_length=200)
    kind = models.CharField(_("kind"), max_length=10, choices=SessionKind.choices, default=SessionKind.FACE_TO_FACE)
    venue = models.CharField(_("venue"), max_length=200, blank=True)
    meeting_link = models.URLField(_("meeting link"), blank=True)
    date = models.DateField(_("date"))
    starts_at = models.TimeField(_("starts at"))
    ends_at = models.TimeField(_("ends at"))
    hours = models.DecimalField(
        _("hours"), max_digits=4, decimal_places=1, default=Decimal("0"), validators=[MinValueValidator(Decimal("0"))],
    )
    trainers = models.ManyToManyField(
        settings.AUTH_USER_MODEL, blank=True, related_name="attendance_sessions", verbose_name=_("trainers"),
    )
    # Blank in a form means the default window (rules.fill_default_windows, in clean() and save()).
    sign_in_opens = models.TimeField(_("sign-in opens"), blank=True)
    sign_in_closes = models.TimeField(_("sign-in closes"), blank=True)
    sign_out_opens = models.TimeField(_("sign-out opens"), null=True, blank=True)
    sign_out_closes = models.TimeField(_("sign-out closes"), null=True, blank=True)
    # Teachers who sign in after the start (and within the window) are marked late.
    code_seconds = models.PositiveSmallIntegerField(
        _("code rotates every (seconds)"), null=True, blank=True,
        help_text=_("Leave empty for the site's default."),
    )
    # Per-session key of the rotating codes: a code of one session never opens another.
    secret = models.CharField(max_length=64, default=_new_secret, editable=False)

    panels = [
        FieldPanel("course"),
        FieldPanel("title"),
        FieldPanel("kind"),
        FieldPanel("venue"),
        FieldPanel("meeting_link"),
        MultiFieldPanel([FieldPanel("date"), FieldPanel("starts_at"), FieldPanel("ends_at"), FieldPanel("hours")],
                        heading=_("When")),
        FieldPanel("trainers"),
        MultiFieldPanel(
            [FieldPanel("sign_in_opens"), FieldPanel("sign_in_closes"), FieldPanel("sign_out_opens"),
             FieldPanel("sign_out_closes"), FieldPanel("code_seconds")],
            heading=_("Sign-in"),
        ),
    ]

    class Meta:
        verbose_name = _("session")
        verbose_name_plural = _("sessions")
        ordering = ["date", "starts_at", "pk"]
        indexes = [models.Index(fields=["course", "date"])]

    def __str__(self) -> str:
        return f"{self.date:%Y-%m-%d} {self.starts_at:%H:%M} {self.title}"

    def save(self, *args, **kwargs):
        from .rules import fill_default_windows

        fill_default_windows(self)
        super().save(*args, **kwargs)

    def clean(self):
        from .rules import fill_default_windows, session_errors

        fill_default_windows(self)
        errors = session_errors(self)
        if errors:
            raise ValidationError(errors)

    def at(self, moment: time) -> datetime:
        """A time of this session's day, as an aware datetime in the site's time zone."""
        return timezone.make_aware(datetime.combine(self.date, moment))

    @property
    def start(self) -> datetime:
        return self.at(self.starts_at)

    @property
    def end(self) -> datetime:
        return self.at(self.ends_at)

    @property
    def takes_sign_out(self) -> bool:
        return self.sign_out_opens is not None and self.sign_out_closes is not None

    @property
    def activity_key(self) -> str:
        return f"attendance:{self.pk}"


class AttendanceStatus(models.TextChoices):
    PRESENT = "present", _("Present")
    LATE = "late", pgettext_lazy("attendance", "Late")  # not an assignment's "late" (逾期)
    LEFT_EARLY = "left_early", _("Left early")
    ABSENT = "absent", _("Absent")
    ON_LEAVE = "on_leave", _("On leave")


# The marks that mean the teacher was there (the attendance activity is done).
ATTENDED = frozenset({AttendanceStatus.PRESENT, AttendanceStatus.LATE})


class AttendanceSource(models.TextChoices):
    QR = "qr", _("Scanned code")
    TYPED_CODE = "code", _("Typed code")
    TRAINER = "trainer", _("Marked by the trainer")
    PAPER = "paper", _("From the paper sign-in sheet")


class Attendance(models.Model):
    """A teacher's attendance at one session: one row per teacher and session (the unique key decides races)."""

    session = models.ForeignKey(Session, on_delete=models.CASCADE, related_name="attendances")
    learner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="attendances")
    status = models.CharField(_("attendance"), max_length=12, choices=AttendanceStatus.choices)
    source = models.CharField(_("source"), max_length=10, choices=AttendanceSource.choices)
    signed_in_at = models.DateTimeField(null=True, blank=True)
    signed_out_at = models.DateTimeField(null=True, blank=True)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("attendance")
        verbose_name_plural = _("attendance")
        constraints = [models.UniqueConstraint(fields=["session", "learner"], name="shixun_attendance_once")]

    def __str__(self) -> str:
        return f"{self.learner_id} @ {self.session_id}: {self.status}"


class AttendanceChange(models.Model):
    """The audit of attendance: every mark, by whom, when, before and after (and why, after the session)."""

    attendance = models.ForeignKey(Attendance, on_delete=models.CASCADE, related_name="changes")
    changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    changed_at = models.DateTimeField(default=timezone.now)
    before = models.CharField(max_length=12, blank=True, choices=AttendanceStatus.choices)
    after = models.CharField(max_length=12, choices=AttendanceStatus.choices)
    source = models.CharField(max_length=10, choices=AttendanceSource.choices)
    reason = models.TextField(blank=True)

    class Meta:
        ordering = ["changed_at", "pk"]

    def __str__(self) -> str:
        return f"{self.attendance_id}: {self.before or '-'} → {self.after}"


class LeaveStatus(models.TextChoices):
    PENDING = "pending", _("Waiting for the school")
    APPROVED = "approved", _("Approved")
    REFUSED = "refused", pgettext_lazy("leave", "Refused")
    WITHDRAWN = "withdrawn", pgettext_lazy("leave", "Withdrawn")


class LeaveRequest(models.Model):
    """A teacher asks, before a session, to be excused from it; their school's admin decides."""

    session = models.ForeignKey(Session, on_delete=models.CASCADE, related_name="leave_requests")
    learner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="leave_requests")
    reason = models.TextField(_("reason"), max_length=1000)
    status = models.CharField(max_length=10, choices=LeaveStatus.choices, default=LeaveStatus.PENDING)
    requested_at = models.DateTimeField(default=timezone.now)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    decision_note = models.TextField(blank=True, max_length=1000)

    class Meta:
        verbose_name = _("leave request")
        verbose_name_plural = _("leave requests")
        constraints = [
            # One open request per teacher and session (a refused or withdrawn one may be followed by another).
            models.UniqueConstraint(
                fields=["session", "learner"], condition=models.Q(status__in=["pending", "approved"]),
                name="shixun_leave_one_open",
            )
        ]

    def __str__(self) -> str:
        return f"{self.learner_id} @ {self.session_id}: {self.status}"
