"""Assignments teachers hand in, and the trainer's review of each version.

An Assignment (a snippet trainers edit in the Wagtail admin) says what to hand
in; a module page places it with blocks.AssignmentBlock (the "assignment" activity kind). A learner's
work for one assignment *in one module* is a Submission; every hand-in is a
new numbered SubmissionVersion (earlier versions are kept), and the trainer's
decision, score and feedback are recorded on the version they reviewed.

Uploaded files live in the private storage (no URL); views stream them after
an object-level permission check (see permissions.py).
"""

from __future__ import annotations

import datetime
import uuid

from django import forms
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.storage import storages
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils import timezone
from django.utils.text import capfirst
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy
from wagtail.admin.panels import FieldPanel, MultiFieldPanel
from wagtail.fields import RichTextField

from shixun.assessments.uploads import FileKind
from shixun.config.conf import shixun_settings
from shixun.courses.blocks import RICH_TEXT_FEATURES

# A hard ceiling on what any assignment may accept, whatever a trainer types:
# the web server's own body limit must be at least this.
MAX_UPLOAD_MB_CEILING = shixun_settings.SHIXUN_ASSIGNMENT_MAX_UPLOAD_MB


def default_allowed_kinds() -> list[str]:
    return [FileKind.PDF.value, FileKind.WORD.value]


def private_storage():
    # A callable, so tests and deployments that swap STORAGES["private"] are honoured.
    return storages["private"]


class FileKindsField(models.JSONField):
    """A list of FileKind values, edited as a row of checkboxes (a plain JSONField would show raw JSON)."""

    def formfield(self, **kwargs):
        return forms.MultipleChoiceField(
            choices=FileKind.choices,
            widget=forms.CheckboxSelectMultiple,
            required=False,  # Assignment.clean decides, because a typed-answer-only assignment needs none
            label=capfirst(self.verbose_name),
            help_text=self.help_text,
        )


class AnswerMode(models.TextChoices):
    FILE = "file", _("A file")
    TEXT = "text", _("A typed answer")
    FILE_OR_TEXT = "file_or_text", _("A file or a typed answer (either)")
    FILE_AND_TEXT = "file_and_text", _("A file and a typed answer (both)")


class CompletionRule(models.TextChoices):
    ON_SUBMIT = "on_submit", _("Handing it in completes it")
    ON_ACCEPT = "on_accept", _("A trainer must accept it")


class Assignment(models.Model):
    title = models.CharField(_("title"), max_length=200)
    instructions = RichTextField(
        _("instructions"), blank=True, features=RICH_TEXT_FEATURES,
        help_text=_("What to hand in and how it will be judged, in plain words."),
    )
    answer_mode = models.CharField(
        _("what the teacher hands in"), max_length=20, choices=AnswerMode.choices, default=AnswerMode.FILE
    )
    allowed_kinds = FileKindsField(
        _("allowed file kinds"), default=default_allowed_kinds, blank=True,
        help_text=_("Files are checked by their content, not only by their name."),
    )
    max_size_mb = models.PositiveSmallIntegerField(
        _("maximum file size (MB)"), default=20,
        validators=[MinValueValidator(1), MaxValueValidator(MAX_UPLOAD_MB_CEILING)],
    )
    min_text_chars = models.PositiveIntegerField(
        _("minimum length of the typed answer (characters)"), default=0,
        help_text=_("0 for no minimum. Every Chinese character counts as one character; spaces do not count."),
    )
    due_date = models.DateField(
        _("due date"), null=True, blank=True,
        help_text=_("Work handed in after the end of this day is still accepted but marked late."),
    )
    completion_rule = models.CharField(
        _("completion"), max_length=20, choices=CompletionRule.choices, default=CompletionRule.ON_ACCEPT,
        help_text=_(
            "“A trainer must accept it”: the work counts, and the module's hours follow, only when a trainer "
            "accepts it in the review queue; until then the teacher sees “waiting for the trainer's "
            "confirmation”, and a trainer may return it for revision. “Handing it in completes it”: any "
            "hand-in that meets the rules above (for a typed answer, the minimum length) counts at once."
        ),
    )

    panels = [
        FieldPanel("title"),
        FieldPanel("instructions"),
        MultiFieldPanel(
            [
                FieldPanel("answer_mode"),
                FieldPanel("allowed_kinds"),
                FieldPanel("max_size_mb"),
                FieldPanel("min_text_chars"),
            ],
            heading=_("What the teacher hands in"),
        ),
        FieldPanel("due_date"),
        FieldPanel("completion_rule"),
    ]
    class Meta:
        ordering = ["title"]
        verbose_name = _("assignment")
        verbose_name_plural = _("assignments")

    def __str__(self) -> str:
        return self.title

    @property
    def activity_key(self) -> str:
        return f"assignment:{self.pk}"

    @property
    def accepts_file(self) -> bool:
        return self.answer_mode != AnswerMode.TEXT

    @property
    def accepts_text(self) -> bool:
        return self.answer_mode != AnswerMode.FILE

    @property
    def needs_review(self) -> bool:
        return self.completion_rule == CompletionRule.ON_ACCEPT

    @property
    def max_bytes(self) -> int:
        return self.max_size_mb * 1024 * 1024

    @property
    def file_kinds(self) -> list[FileKind]:
        """The allowed kinds as FileKind members, in the order of the FileKind choices."""
        chosen = set(self.allowed_kinds or [])
        return [kind for kind in FileKind if kind.value in chosen]

    def due_moment(self) -> datetime.datetime | None:
        """The end of the due date in the site's time zone: the first moment a hand-in is late."""
        if self.due_date is None:
            return None
        next_day = datetime.datetime.combine(self.due_date + datetime.timedelta(days=1), datetime.time())
        return timezone.make_aware(next_day)

    def is_late(self, moment: datetime.datetime) -> bool:
        due = self.due_moment()
        return due is not None and moment >= due

    def clean(self):
        super().clean()
        unknown = set(self.allowed_kinds or []) - set(FileKind.values)
        if unknown:
            raise ValidationError(
                {"allowed_kinds": _("Unknown file kinds: %(kinds)s.") % {"kinds": ", ".join(sorted(unknown))}}
            )
        if self.accepts_file and not self.allowed_kinds:
            raise ValidationError(
                {"allowed_kinds": _("Choose at least one kind of file, or ask for a typed answer only.")}
            )
        if self.min_text_chars and not self.accepts_text:
            raise ValidationError(
                {"min_text_chars": _("A minimum length only applies when the teacher types an answer.")}
            )


class Submission(models.Model):
    """One learner's work for one assignment placed in one module: the versions and where review stands."""

    class Status(models.TextChoices):
        # Labels carry a context so another app's identical msgid cannot translate them differently.
        SUBMITTED = "submitted", pgettext_lazy("assignment status", "Waiting for review")
        RETURNED = "returned", pgettext_lazy("assignment status", "Returned for revision")
        ACCEPTED = "accepted", pgettext_lazy("assignment status", "Accepted")
        # For assignments that handing in completes: done, and a trainer may still comment.
        RECEIVED = "received", pgettext_lazy("assignment status", "Handed in")

    learner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="assignment_submissions",
        verbose_name=_("learner"),
    )
    assignment = models.ForeignKey(
        Assignment, on_delete=models.PROTECT, related_name="submissions", verbose_name=_("assignment")
    )
    module = models.ForeignKey(
        "shixun_courses.ModulePage", on_delete=models.PROTECT, related_name="assignment_submissions",
        verbose_name=_("module"),
    )
    # The module's course at the time of the first hand-in, kept so the review
    # queue can filter and check trainers without walking the page tree.
    course = models.ForeignKey(
        "shixun_courses.CoursePage", on_delete=models.PROTECT, related_name="assignment_submissions",
        verbose_name=_("course"),
    )
    status = models.CharField(_("status"), max_length=20, choices=Status.choices, default=Status.SUBMITTED)
    current_version = models.ForeignKey(
        "SubmissionVersion", null=True, blank=True, on_delete=models.SET_NULL, related_name="+",
        verbose_name=_("latest version"),
    )
    version_count = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-updated_at", "-pk"]
        verbose_name = _("submission")
        verbose_name_plural = _("submissions")
        constraints = [
            models.UniqueConstraint(
                fields=["learner", "assignment", "module"], name="shixun_assignment_submission_unique"
            )
        ]
        indexes = [
            models.Index(fields=["course", "status"]),
            models.Index(fields=["assignment", "status"]),
        ]

    def __str__(self) -> str:
        return f"{self.learner} · {self.assignment}"

    @property
    def can_resubmit(self) -> bool:
        return self.status != self.Status.ACCEPTED

    @property
    def awaits_review(self) -> bool:
        return self.status == self.Status.SUBMITTED


def submission_upload_to(instance: SubmissionVersion, filename: str) -> str:
    # A random folder per version: the teacher's (already safe) name is kept for
    # downloads, and no name can be guessed or collide across learners.
    return f"assignments/{instance.submission.assignment_id}/{uuid.uuid4().hex}/{filename}"


class SubmissionVersion(models.Model):
    """One hand-in: a file and/or a typed answer, and the review it received."""

    class Decision(models.TextChoices):
        ACCEPTED = "accepted", pgettext_lazy("assignment status", "Accepted")
        RETURNED = "returned", pgettext_lazy("assignment status", "Returned for revision")
        COMMENTED = "commented", pgettext_lazy("assignment status", "Feedback given")

    submission = models.ForeignKey(Submission, on_delete=models.CASCADE, related_name="versions")
    number = models.PositiveIntegerField(_("version"))
    file = models.FileField(
        _("file"), storage=private_storage, upload_to=submission_upload_to, max_length=255, blank=True
    )
    original_name = models.CharField(_("file name"), max_length=255, blank=True)
    content_type = models.CharField(max_length=120, blank=True)
    size = models.PositiveBigIntegerField(default=0)
    sha256 = models.CharField(max_length=64, blank=True)
    text = models.TextField(_("typed answer"), blank=True)
    text_chars = models.PositiveIntegerField(default=0)
    submitted_at = models.DateTimeField(_("handed in at"), default=timezone.now)
    is_late = models.BooleanField(_("late"), default=False)

    decision = models.CharField(_("decision"), max_length=20, choices=Decision.choices, blank=True)
    score = models.PositiveSmallIntegerField(
        _("score"), null=True, blank=True, validators=[MinValueValidator(0), MaxValueValidator(100)]
    )
    feedback = models.TextField(_("feedback"), blank=True)
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+",
        verbose_name=_("reviewed by"),
    )
    reviewed_at = models.DateTimeField(_("reviewed at"), null=True, blank=True)
    # Set when the review email has been handed to the mail backend: the task's idempotency key.
    notified_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["submission", "number"]
        verbose_name = _("submission version")
        verbose_name_plural = _("submission versions")
        constraints = [
            models.UniqueConstraint(fields=["submission", "number"], name="shixun_assignment_version_unique"),
            models.CheckConstraint(
                condition=models.Q(score__isnull=True) | models.Q(score__lte=100), name="shixun_assignment_score_range"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.submission} v{self.number}"

    @property
    def has_file(self) -> bool:
        return bool(self.file)

    @property
    def is_reviewed(self) -> bool:
        return bool(self.decision)
