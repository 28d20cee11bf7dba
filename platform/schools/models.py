"""Records of the school and district administration app.

The accounts User model belongs to the accounts app, so what this app needs
to remember about a person (reminder preferences) lives in its own tables
with a one-to-one link. A pending first-login password change is the
accounts app's own (accounts.models.FirstLogin).
"""

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class RosterImport(models.Model):
    """An applied roster import: who imported how many teachers into which school, and when."""

    school = models.ForeignKey(
        "shixun_accounts.School", on_delete=models.CASCADE, related_name="roster_imports", verbose_name=_("school")
    )
    imported_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+", verbose_name=_("imported by")
    )
    imported_at = models.DateTimeField(_("imported at"), default=timezone.now)
    created_count = models.PositiveIntegerField(default=0)
    updated_count = models.PositiveIntegerField(default=0)
    unchanged_count = models.PositiveIntegerField(default=0)
    # The stored preview this import applied: unique, so the same preview
    # confirmed twice (a double click, ten tabs) is imported and recorded once.
    preview = models.CharField(max_length=200, null=True, blank=True, unique=True, editable=False)

    class Meta:
        ordering = ["-imported_at"]
        verbose_name = _("roster import")
        verbose_name_plural = _("roster imports")

    def __str__(self) -> str:
        return f"{self.school_id} @ {self.imported_at:%Y-%m-%d %H:%M}"


class ErasureRecord(models.Model):
    """That a person was erased, when and by whom: the audit trail of erasure itself.

    `person_id` is a plain number, not a foreign key: the record must not be
    one more place that holds on to the person.
    """

    person_id = models.PositiveBigIntegerField(_("person id"), db_index=True)
    erased_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+", verbose_name=_("erased by")
    )
    erased_at = models.DateTimeField(_("erased at"), default=timezone.now)

    class Meta:
        ordering = ["-erased_at"]
        verbose_name = _("erasure record")
        verbose_name_plural = _("erasure records")

    def __str__(self) -> str:
        return f"#{self.person_id} @ {self.erased_at:%Y-%m-%d %H:%M}"


def export_format_choices():
    """The registered export formats (schools.exports.FORMATS), read when needed: exports imports the models."""
    from .exports import format_choices

    return format_choices()


class ExportJob(models.Model):
    """A requested export of many transcripts, written by a background job into private storage.

    `fingerprint` identifies the request (who, what, which period, which
    format); a partial unique constraint allows only one pending or running
    job per fingerprint, so a double click or a second tab joins the job
    already under way instead of starting another.
    """

    class Status(models.TextChoices):
        PENDING = "pending", _("Waiting to start")
        RUNNING = "running", _("Running")
        DONE = "done", _("Ready")
        FAILED = "failed", _("Failed")
        EXPIRED = "expired", _("Expired")
        WITHDRAWN = "withdrawn", _("Deleted after an erasure")

    ACTIVE = (Status.PENDING, Status.RUNNING)
    # The stored file is gone: past its retention, or it held a person who was erased.
    GONE = (Status.EXPIRED, Status.WITHDRAWN)

    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+", verbose_name=_("requested by")
    )
    district = models.ForeignKey("shixun_accounts.District", on_delete=models.CASCADE, related_name="+")
    school = models.ForeignKey(
        "shixun_accounts.School", null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    start = models.DateField(_("from"))
    end = models.DateField(_("to"))
    format = models.CharField(_("format"), max_length=10, choices=export_format_choices)
    fingerprint = models.CharField(max_length=64)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.PENDING)
    done_count = models.PositiveIntegerField(default=0)
    total_count = models.PositiveIntegerField(default=0)
    file = models.CharField(max_length=255, blank=True)  # name in private storage
    error = models.TextField(blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("export job")
        verbose_name_plural = _("export jobs")
        constraints = [
            models.UniqueConstraint(
                fields=["fingerprint"],
                condition=models.Q(status__in=["pending", "running"]),
                name="shixun_export_job_one_active_per_request",
            )
        ]

    def __str__(self) -> str:
        return f"{self.format} {self.school_id or self.district_id} {self.start}–{self.end} ({self.status})"

    @property
    def percent(self) -> int:
        if self.status == self.Status.DONE:
            return 100
        return int(self.done_count * 100 / self.total_count) if self.total_count else 0

    @property
    def available_until(self):
        """When the stored file is deleted (schools.jobs.expire_exports); None before it is ready."""
        from .jobs import retention

        return self.finished_at + retention() if self.finished_at else None

    @property
    def expired(self) -> bool:
        """Past its retention, whether or not the scheduled clean-up has deleted the file yet."""
        if self.status == self.Status.EXPIRED:
            return True
        until = self.available_until
        return self.status == self.Status.DONE and until is not None and until <= timezone.now()


class ExportChunk(models.Model):
    """One part of a large export: a fixed slice of its teachers, rendered by a task of its own.

    A district's zip of PDFs takes minutes, and one django-q2 task must end
    well inside Q_TIMEOUT (which must stay below the broker's retry). The
    teachers are split when the job starts and kept here, so a task that is
    delivered again renders exactly the same teachers and overwrites its own
    part file; the last part to finish starts the task that joins them.
    """

    job = models.ForeignKey(ExportJob, on_delete=models.CASCADE, related_name="chunks")
    index = models.PositiveIntegerField()
    teacher_ids = models.JSONField(default=list)
    size = models.PositiveIntegerField(default=0)
    done = models.BooleanField(default=False)
    attempts = models.PositiveSmallIntegerField(default=0)
    part = models.CharField(max_length=255, blank=True)  # name in private storage
    error = models.TextField(blank=True)

    class Meta:
        ordering = ["job", "index"]
        verbose_name = _("export part")
        verbose_name_plural = _("export parts")
        constraints = [models.UniqueConstraint(fields=["job", "index"], name="shixun_export_chunk_once")]

    def __str__(self) -> str:
        return f"{self.job_id}#{self.index} ({'done' if self.done else 'pending'})"


def private_storage():
    from django.core.files.storage import storages

    return storages["private"]


def certificate_upload_to(instance, filename) -> str:
    return f"external-training/{instance.teacher_id}/{filename}"


class TrainingLevel(models.TextChoices):
    NATIONAL = "national", _("National")
    PROVINCIAL = "provincial", _("Provincial")
    CITY = "city", _("City")
    DISTRICT = "district", _("District")
    SCHOOL = "school", _("School")


class GroupCredit(models.Model):
    """Credit registered by an admin for a whole group at once (e.g. 60 h of 跟岗研修 for a cohort and mentors)."""

    title = models.CharField(_("training"), max_length=200)
    organiser = models.CharField(_("organiser"), max_length=200)
    level = models.CharField(_("level"), max_length=20, choices=TrainingLevel.choices)
    start_date = models.DateField(_("from"))
    end_date = models.DateField(_("to"))
    hours = models.DecimalField(_("hours"), max_digits=5, decimal_places=1)
    category = models.ForeignKey(
        "shixun_courses.CourseCategory", null=True, blank=True, on_delete=models.PROTECT, related_name="+",
        verbose_name=_("category"),
    )
    district = models.ForeignKey("shixun_accounts.District", on_delete=models.PROTECT, related_name="+")
    registered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+",
        verbose_name=_("registered by"),
    )
    registered_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-registered_at"]
        verbose_name = _("group credit")
        verbose_name_plural = _("group credits")

    def __str__(self) -> str:
        return self.title


class ExternalTraining(models.Model):
    """Training done outside Shixun (学分登记): registered by the teacher, approved by the school.

    Approval posts one ledger entry (source: external training, reference:
    this record's id), so approving twice cannot post twice.
    """

    class Status(models.TextChoices):
        SUBMITTED = "submitted", _("Waiting for approval")
        APPROVED = "approved", _("Approved")
        REJECTED = "rejected", _("Not approved")

    teacher = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="external_training", verbose_name=_("teacher")
    )
    title = models.CharField(_("training"), max_length=200)
    organiser = models.CharField(_("organiser"), max_length=200)
    level = models.CharField(_("level"), max_length=20, choices=TrainingLevel.choices)
    start_date = models.DateField(_("from"))
    end_date = models.DateField(_("to"))
    hours = models.DecimalField(_("hours"), max_digits=5, decimal_places=1)
    category = models.ForeignKey(
        "shixun_courses.CourseCategory", null=True, blank=True, on_delete=models.PROTECT, related_name="+",
        verbose_name=_("category"),
    )
    certificate = models.FileField(
        _("certificate"), storage=private_storage, upload_to=certificate_upload_to, max_length=255, blank=True
    )
    certificate_content_type = models.CharField(max_length=120, blank=True)
    status = models.CharField(_("status"), max_length=20, choices=Status.choices, default=Status.SUBMITTED)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+",
        verbose_name=_("decided by"),
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    rejection_reason = models.TextField(_("reason"), blank=True)
    group = models.ForeignKey(GroupCredit, null=True, blank=True, on_delete=models.PROTECT, related_name="records")
    submitted_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-submitted_at"]
        verbose_name = _("external training")
        verbose_name_plural = _("external training")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(end_date__gte=models.F("start_date")), name="shixun_external_dates"
            ),
            models.CheckConstraint(condition=models.Q(hours__gt=0), name="shixun_external_hours_positive"),
            # One group registration credits each teacher once.
            models.UniqueConstraint(fields=["group", "teacher"], name="shixun_external_group_once"),
        ]

    def __str__(self) -> str:
        return f"{self.title} ({self.hours} h)"

    @property
    def ledger_source_ref(self) -> str:
        return f"external:{self.pk}"


class ReminderPreference(models.Model):
    """A person's choice about Shixun's reminder emails (set by the one-click unsubscribe link)."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="reminder_preference")
    weekly_reminders = models.BooleanField(_("weekly reminders"), default=True)
    monthly_digest = models.BooleanField(_("monthly digest for school admins"), default=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("reminder preference")
        verbose_name_plural = _("reminder preferences")

    def __str__(self) -> str:
        return f"{self.user_id}: weekly={self.weekly_reminders} digest={self.monthly_digest}"


class ReminderSent(models.Model):
    """One reminder email per person, kind and period (e.g. week 2026-W27).

    The unique constraint is the idempotency key: a schedule that runs twice,
    or a task delivered again after a worker died, sends nothing twice.
    """

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    kind = models.CharField(max_length=20)
    period = models.CharField(max_length=20)
    sent_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("reminder sent")
        verbose_name_plural = _("reminders sent")
        constraints = [
            models.UniqueConstraint(fields=["user", "kind", "period"], name="shixun_reminder_once_per_period")
        ]

    def __str__(self) -> str:
        return f"{self.user_id} {self.kind} {self.period}"
