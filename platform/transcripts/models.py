"""The credit ledger, requirement rules, course grading settings and certificates.

The ledger (LedgerEntry) is append-only: a row is never edited or deleted,
and the database itself refuses UPDATE and DELETE on it (triggers created in
migration 0002, see `transcripts.guard`). A correction is a reversal: a new
entry with the opposite hours that points at the entry it reverses, with a
reason and an actor. Every entry has a source (module completion, course
award, external training, manual adjustment, reversal) with a reference, and
the pair is unique, so posting the same thing twice is a no-op.

Personal data stays on the user row: the ledger refers to the learner by id
only, so erasing a person (anonymising their user row) keeps every ledger row
intact and untouched.
"""

import secrets
from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from modelcluster.fields import ParentalKey
from modelcluster.models import ClusterableModel
from wagtail.admin.panels import FieldPanel, InlinePanel, MultiFieldPanel
from wagtail.models import Orderable

HOURS_FIELD = {"max_digits": 6, "decimal_places": 1}


class SourceKind(models.TextChoices):
    MODULE_COMPLETION = "module_completion", _("Module completed")
    COURSE_AWARD = "course_award", _("Course award")
    EXTERNAL_TRAINING = "external_training", _("External training")
    MANUAL_ADJUSTMENT = "manual_adjustment", _("Manual adjustment")
    # Posted by shixun.shadowing at a programme's close (teacher:<participant>, mentor:<programme>:<user>).
    SHADOWING = "shadowing", _("Shadowing training")
    REVERSAL = "reversal", _("Reversal")


class LedgerEntry(models.Model):
    learner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="credit_entries", verbose_name=_("learner")
    )
    hours = models.DecimalField(_("hours"), **HOURS_FIELD)
    category = models.ForeignKey(
        "shixun_courses.CourseCategory",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("category"),
    )
    title = models.CharField(_("what"), max_length=255)
    source_kind = models.CharField(_("source"), max_length=30, choices=SourceKind.choices)
    # The idempotency key: a completion id, an external-training record id, a
    # manual adjustment's request id, the reversed entry's id.
    source_ref = models.CharField(_("reference"), max_length=64)
    module_completion = models.OneToOneField(
        "shixun_courses.ModuleCompletion", on_delete=models.PROTECT, null=True, blank=True, related_name="ledger_entry"
    )
    course_completion = models.OneToOneField(
        "shixun_courses.CourseCompletion",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="ledger_award",
    )
    # The course an entry counts for (module completions and course awards),
    # so a reversal can revoke the course's certificate.
    course = models.ForeignKey(
        "shixun_courses.CoursePage", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    earned_on = models.DateField(_("date earned"))
    school = models.ForeignKey(
        "shixun_accounts.School",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("school at the time"),
    )
    # Null means the system posted it (a background task or reconciliation).
    posted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("posted by"),
    )
    reverses = models.OneToOneField(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="reversal",
        verbose_name=_("reverses"),
    )
    reason = models.TextField(_("reason"), blank=True)
    created_at = models.DateTimeField(_("recorded at"), default=timezone.now)

    class Meta:
        verbose_name = _("credit entry")
        verbose_name_plural = _("credit entries")
        ordering = ["earned_on", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["source_kind", "source_ref"], name="shixun_ledger_source_unique"),
            models.CheckConstraint(
                condition=Q(source_kind=SourceKind.MODULE_COMPLETION, module_completion__isnull=False)
                | (~Q(source_kind=SourceKind.MODULE_COMPLETION) & Q(module_completion__isnull=True)),
                name="shixun_ledger_module_completion_source",
            ),
            models.CheckConstraint(
                condition=Q(source_kind=SourceKind.REVERSAL, reverses__isnull=False, posted_by__isnull=False)
                | (~Q(source_kind=SourceKind.REVERSAL) & Q(reverses__isnull=True)),
                name="shixun_ledger_reversal_has_target_and_actor",
            ),
            models.CheckConstraint(
                condition=~Q(source_kind=SourceKind.REVERSAL) | ~Q(reason=""),
                name="shixun_ledger_reversal_has_reason",
            ),
        ]
        indexes = [models.Index(fields=["learner", "earned_on"])]

    def __str__(self) -> str:
        return f"{self.learner_id}: {self.hours} h {self.title}"

    def save(self, *args, **kwargs):
        # The database refuses UPDATE; saying so here gives a clear error first.
        if not self._state.adding:
            raise LedgerImmutable(_("Credit entries cannot be changed. Post a reversal instead."))
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise LedgerImmutable(_("Credit entries cannot be deleted. Post a reversal instead."))

    @property
    def is_reversal(self) -> bool:
        return self.source_kind == SourceKind.REVERSAL


class LedgerImmutable(Exception):
    pass


class AuditAction(models.TextChoices):
    POSTED = "posted", _("Posted")
    REVERSED = "reversed", _("Reversed")
    CERTIFICATE_ISSUED = "certificate_issued", _("Certificate issued")
    CERTIFICATE_REVOKED = "certificate_revoked", _("Certificate revoked")


class CreditAuditEvent(models.Model):
    """Who or what did what to a learner's credit, and through which path (append-only too)."""

    action = models.CharField(max_length=30, choices=AuditAction.choices)
    entry = models.ForeignKey(LedgerEntry, on_delete=models.PROTECT, null=True, blank=True, related_name="audit")
    certificate = models.ForeignKey(
        "Certificate", on_delete=models.PROTECT, null=True, blank=True, related_name="audit"
    )
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    # "task", "reconcile", "admin", "service": how the change came in.
    via = models.CharField(max_length=30)
    detail = models.TextField(blank=True)
    recorded_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("credit audit event")
        verbose_name_plural = _("credit audit events")
        ordering = ["recorded_at", "pk"]

    def __str__(self) -> str:
        return f"{self.action} {self.recorded_at:%Y-%m-%d %H:%M}"


class PostingDue(models.Model):
    """The "posting due" flag of coalesced posting (transcripts.posting) where no shared cache holds it.

    One row at most (its primary key is a constant): the id of the completion whose
    coalesced task is queued and not yet started, and when it was set, so that a flag
    whose task never ran stops coalescing after `posting.DUE_SECONDS`. Internal
    bookkeeping, never shown.
    """

    slot = models.PositiveSmallIntegerField(primary_key=True, default=1)
    completion_id = models.BigIntegerField()
    set_at = models.DateTimeField()

    def __str__(self) -> str:
        return f"posting due from {self.completion_id}"


# --- Requirement rules -----------------------------------------------------------


class PeriodKind(models.TextChoices):
    CYCLE = "cycle", _("Fixed cycle of several years from a start year")
    CALENDAR_YEAR = "calendar_year", _("Each calendar year")
    SCHOOL_YEAR = "school_year", _("Each school year (from 1 September)")
    FIRST_YEAR = "first_year", _("First year of service (induction, from the start date)")


class RequirementRule(models.Model):
    """A district's rule: who must earn how many hours in which period."""

    district = models.ForeignKey(
        "shixun_accounts.District",
        on_delete=models.CASCADE,
        related_name="requirement_rules",
        verbose_name=_("district"),
    )
    name = models.CharField(_("name"), max_length=100)
    teacher_categories = models.ManyToManyField(
        "shixun_accounts.TeacherCategory",
        blank=True,
        related_name="+",
        verbose_name=_("teacher categories"),
        help_text=_("The rule applies to teachers in any of these categories. Leave empty for every teacher."),
    )
    period_kind = models.CharField(_("period"), max_length=20, choices=PeriodKind.choices)
    cycle_start_year = models.PositiveSmallIntegerField(
        _("first cycle starts in"),
        null=True,
        blank=True,
        validators=[MinValueValidator(1990), MaxValueValidator(2100)],
    )
    cycle_years = models.PositiveSmallIntegerField(
        _("years per cycle"), null=True, blank=True, validators=[MinValueValidator(1), MaxValueValidator(10)]
    )
    minimum_hours = models.DecimalField(
        _("minimum hours"), validators=[MinValueValidator(Decimal("0.5"))], **HOURS_FIELD
    )
    counted_category = models.ForeignKey(
        "shixun_courses.CourseCategory",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("only hours of this course category count"),
        help_text=_("For a topic requirement such as class-teacher training. Leave empty to count all hours."),
    )
    active = models.BooleanField(_("in force"), default=True)
    sort_order = models.PositiveSmallIntegerField(_("order"), default=0)

    class Meta:
        ordering = ["district", "sort_order", "pk"]
        verbose_name = _("requirement rule")
        verbose_name_plural = _("requirement rules")
        constraints = [
            models.UniqueConstraint(fields=["district", "name"], name="shixun_requirement_name_unique"),
            models.CheckConstraint(
                condition=~Q(period_kind="cycle") | Q(cycle_start_year__isnull=False, cycle_years__isnull=False),
                name="shixun_requirement_cycle_complete",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    def clean(self):
        if self.period_kind == PeriodKind.CYCLE and (not self.cycle_start_year or not self.cycle_years):
            raise ValidationError(_("A multi-year cycle needs a start year and a number of years."))


class CategoryMinimum(models.Model):
    """Within a rule, at least so many hours of one course category (e.g. 师德师风)."""

    rule = models.ForeignKey(RequirementRule, on_delete=models.CASCADE, related_name="category_minimums")
    category = models.ForeignKey(
        "shixun_courses.CourseCategory", on_delete=models.PROTECT, related_name="+", verbose_name=_("course category")
    )
    minimum_hours = models.DecimalField(
        _("minimum hours"), validators=[MinValueValidator(Decimal("0.5"))], **HOURS_FIELD
    )

    class Meta:
        verbose_name = _("minimum per category")
        verbose_name_plural = _("minimums per category")
        constraints = [models.UniqueConstraint(fields=["rule", "category"], name="shixun_category_minimum_unique")]

    def __str__(self) -> str:
        return f"{self.category_id} ≥ {self.minimum_hours}"


# --- Course grading and certificates ---------------------------------------------


class CourseCreditSettings(ClusterableModel):
    """How a course is graded and certified. Kept here so the courses app's page model stays its own."""

    course = models.OneToOneField(
        "shixun_courses.CoursePage", on_delete=models.CASCADE, related_name="credit_settings", verbose_name=_("course")
    )
    pass_mark = models.DecimalField(
        _("pass mark"),
        max_digits=5,
        decimal_places=1,
        default=Decimal("60"),
        validators=[MinValueValidator(Decimal("0")), MaxValueValidator(Decimal("100"))],
    )
    void_at_absent_days = models.PositiveSmallIntegerField(
        _("absence that voids the certificate (days)"),
        null=True,
        blank=True,
        help_text=_(
            "For blended courses: this many days or more of absence without leave means no certificate. "
            "Leave empty if attendance is not taken."
        ),
    )
    award_hours = models.DecimalField(
        _("extra hours on passing"),
        default=Decimal("0"),
        validators=[MinValueValidator(Decimal("0"))],
        help_text=_(
            "Hours awarded for the course as a whole when it is passed (e.g. its face-to-face days), "
            "on top of the modules' hours."
        ),
        **HOURS_FIELD,
    )
    issuer = models.CharField(
        _("issuing organisation"),
        max_length=100,
        blank=True,
        help_text=_("Printed on the certificate. Leave empty to use the learner's district."),
    )

    panels = [
        FieldPanel("course"),
        MultiFieldPanel(
            [FieldPanel("pass_mark"), InlinePanel("components", label=_("Grade components"))],
            heading=_("Grade"),
        ),
        FieldPanel("void_at_absent_days"),
        FieldPanel("award_hours"),
        FieldPanel("issuer"),
    ]

    class Meta:
        verbose_name = _("course grading and certificate")
        verbose_name_plural = _("course grading and certificates")

    def __str__(self) -> str:
        return str(self.course)

    def clean(self):
        weights = [c.weight for c in self.components.all()]
        if weights and sum(weights) != 100:
            raise ValidationError(_("The weights of the grade components must add up to 100."))


class GradeComponent(Orderable):
    """One weighted part of the course grade, e.g. school-based 20 % or centralised 80 %."""

    settings = ParentalKey(CourseCreditSettings, on_delete=models.CASCADE, related_name="components")
    name = models.CharField(_("name"), max_length=50)
    weight = models.PositiveSmallIntegerField(
        _("weight (%)"), validators=[MinValueValidator(1), MaxValueValidator(100)]
    )

    panels = [FieldPanel("name"), FieldPanel("weight")]

    class Meta(Orderable.Meta):
        # pk breaks ties: rows made in code may share a sort order (or have none), and PostgreSQL
        # returns equal keys in any order.
        ordering = ["sort_order", "pk"]
        verbose_name = _("grade component")
        constraints = [models.UniqueConstraint(fields=["settings", "name"], name="shixun_grade_component_unique")]

    def __str__(self) -> str:
        return f"{self.name} {self.weight}%"


class ComponentScore(models.Model):
    learner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="component_scores")
    component = models.ForeignKey(GradeComponent, on_delete=models.CASCADE, related_name="scores")
    score = models.DecimalField(
        max_digits=5, decimal_places=1, validators=[MinValueValidator(Decimal("0")), MaxValueValidator(Decimal("100"))]
    )
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    recorded_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["learner", "component"], name="shixun_component_score_unique"),
            models.CheckConstraint(condition=Q(score__gte=0, score__lte=100), name="shixun_component_score_range"),
        ]

    def __str__(self) -> str:
        return f"{self.learner_id}: {self.score}"


class CourseAttendance(models.Model):
    learner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="course_attendance")
    course = models.ForeignKey("shixun_courses.CoursePage", on_delete=models.CASCADE, related_name="+")
    absent_days = models.PositiveSmallIntegerField(_("days absent without leave"), default=0)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    recorded_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["learner", "course"], name="shixun_attendance_unique")]

    def __str__(self) -> str:
        return f"{self.learner_id}: {self.absent_days}"


# Crockford-style alphabet: no 0/O, 1/I/L, so a code read aloud or typed from
# paper is not mistaken.
CODE_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
CODE_LENGTH = 10


def new_verification_code() -> str:
    return "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))


def private_storage():
    # A callable, so the migration does not freeze the storage backend and
    # production's S3 bucket is picked up from settings at run time.
    from django.core.files.storage import storages

    return storages["private"]


class Certificate(models.Model):
    """A certificate issued for a passed course or another source; the PDF is rendered from this record.

    Either a course completion (with its course) or a generic source
    (`source_kind` + `source_ref`, the same key as the ledger entry that
    posted its hours, e.g. shadowing / teacher:<participant>) — exactly one,
    enforced by the database. `course_title` is the title of what it
    certifies (the course's or the programme's).
    """

    code = models.CharField(_("verification code"), max_length=16, unique=True, default=new_verification_code)
    learner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="certificates")
    course = models.ForeignKey(
        "shixun_courses.CoursePage", on_delete=models.PROTECT, related_name="+", null=True, blank=True
    )
    course_completion = models.OneToOneField(
        "shixun_courses.CourseCompletion", on_delete=models.PROTECT, related_name="certificate", null=True, blank=True
    )
    source_kind = models.CharField(_("source"), max_length=30, choices=SourceKind.choices, blank=True)
    source_ref = models.CharField(_("reference"), max_length=64, blank=True)
    kind = models.CharField(_("kind"), max_length=20)
    # What it certifies, fixed at issue time.
    course_title = models.CharField(_("course"), max_length=255)
    learner_name = models.CharField(_("name"), max_length=100)
    hours = models.DecimalField(_("hours"), **HOURS_FIELD)
    score = models.DecimalField(_("grade"), max_digits=5, decimal_places=1, null=True, blank=True)
    completed_on = models.DateField(_("completed on"))
    issued_on = models.DateField(_("issued on"))
    issuer = models.CharField(_("issuing organisation"), max_length=100)
    revoked_at = models.DateTimeField(_("revoked at"), null=True, blank=True)
    revoked_reason = models.TextField(_("reason for revocation"), blank=True)
    # The PDF as issued, rendered once and kept in private storage (no URL:
    # it is streamed by a permission-checked view). Empty for certificates
    # issued before PDFs were stored, and after a person's erasure: those are
    # rendered and stored on their next download.
    pdf = models.FileField(_("PDF"), storage=private_storage, upload_to="certificates/", blank=True, max_length=200)
    pdf_sha256 = models.CharField(_("PDF checksum (SHA-256)"), max_length=64, blank=True)

    class Meta:
        verbose_name = _("certificate")
        verbose_name_plural = _("certificates")
        ordering = ["-issued_on", "-pk"]
        constraints = [
            models.CheckConstraint(
                condition=(
                    Q(course_completion__isnull=False, course__isnull=False, source_kind="", source_ref="")
                    | (Q(course_completion__isnull=True, course__isnull=True) & ~Q(source_kind="") & ~Q(source_ref=""))
                ),
                name="shixun_certificate_one_source",
            ),
            models.UniqueConstraint(
                fields=["source_kind", "source_ref"], condition=~Q(source_kind=""),
                name="shixun_certificate_source_once",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.code} {self.course_title}"

    @property
    def is_valid(self) -> bool:
        return self.revoked_at is None

    def get_kind_display(self) -> str:
        from shixun.courses.models import CertificateKind

        return str(dict(CertificateKind.choices).get(self.kind, self.kind))


class TrainingFile(models.Model):
    """One produced training file (教师培训档案): what a verification code vouches for.

    The PDF is not kept (it is produced again on request, from the ledger of
    that moment); the record keeps when it was produced, the totals it stated
    and the SHA-256 of the PDF, so a printed copy can be checked.
    """

    code = models.CharField(_("verification code"), max_length=16, unique=True, default=new_verification_code)
    learner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="training_files", verbose_name=_("learner")
    )
    produced_at = models.DateTimeField(_("produced at"), default=timezone.now)
    produced_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+",
        verbose_name=_("produced by"),
    )
    total_hours = models.DecimalField(_("total hours"), **HOURS_FIELD)
    entry_count = models.PositiveIntegerField(_("entries"))
    sha256 = models.CharField(max_length=64, blank=True)

    class Meta:
        verbose_name = _("training file")
        verbose_name_plural = _("training files")

    def __str__(self) -> str:
        return f"{self.code} {self.learner_id}"
