"""Shadowing training (跟岗研修): a district's programme, its base schools, the visiting teachers and their records.

The targets are fields of the programme with the district scheme's figures
as defaults, so another district changes numbers, not code. The rules that
read them live in rules.py (plain functions) and every change goes through
services.py, which checks the actor and writes nothing on bad input.
"""

from decimal import Decimal

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

HOURS_FIELD = {"max_digits": 6, "decimal_places": 1}


def private_storage():
    from django.core.files.storage import storages

    return storages["private"]


class Stage(models.TextChoices):
    KINDERGARTEN = "kindergarten", _("Kindergarten")
    PRIMARY = "primary", _("Primary school")
    JUNIOR = "junior", _("Junior secondary")
    SENIOR = "senior", _("Senior secondary")


class Programme(models.Model):
    class Status(models.TextChoices):
        OPEN = "open", _("Running")
        CLOSED = "closed", _("Closed")

    district = models.ForeignKey(
        "shixun_accounts.District", on_delete=models.PROTECT, related_name="shadowing_programmes",
        verbose_name=_("district"),
    )
    title = models.CharField(_("title"), max_length=200)
    start_date = models.DateField(_("first day"))
    end_date = models.DateField(_("last day"))
    subjects = models.ManyToManyField(
        "shixun_accounts.Subject", blank=True, related_name="+", verbose_name=_("subjects")
    )
    weekend_records_allowed = models.BooleanField(
        _("records on Saturdays and Sundays"), default=False,
        help_text=_("Leave off when the base schools work Monday to Friday only."),
    )
    # Targets (the scheme's figures as defaults).
    min_working_days = models.PositiveSmallIntegerField(_("working days at the base school"), default=10)
    observations_per_day = models.PositiveSmallIntegerField(_("lessons observed per working day"), default=2)
    observations_total = models.PositiveSmallIntegerField(_("lessons observed in all"), default=20)
    taught_lessons = models.PositiveSmallIntegerField(_("lessons taught"), default=3)
    report_lessons = models.PositiveSmallIntegerField(_("of which report lessons"), default=1)
    research_activities = models.PositiveSmallIntegerField(_("teaching-research activities"), default=1)
    class_activities = models.PositiveSmallIntegerField(_("class activities"), default=1)
    reflections = models.PositiveSmallIntegerField(_("reflections"), default=3)
    journal_min_chars = models.PositiveSmallIntegerField(_("shortest journal day (characters)"), default=50)
    reflection_min_chars = models.PositiveSmallIntegerField(_("shortest reflection (characters)"), default=300)
    report_min_chars = models.PositiveSmallIntegerField(_("shortest research report (characters)"), default=1000)
    report_due_days = models.PositiveSmallIntegerField(_("days after the end the report is due"), default=7)
    pass_mark = models.DecimalField(
        _("pass mark"), max_digits=5, decimal_places=1, default=Decimal("60"),
        validators=[MinValueValidator(Decimal("0")), MaxValueValidator(Decimal("100"))],
    )
    absence_fail_days = models.PositiveSmallIntegerField(_("days of unexcused absence that fail"), default=2)
    teacher_hours = models.DecimalField(_("hours for the visiting teacher"), default=Decimal("60"), **HOURS_FIELD)
    mentor_hours = models.DecimalField(_("hours for the mentor"), default=Decimal("60"), **HOURS_FIELD)
    # Nomination rules.
    quota_per_school_stage = models.PositiveSmallIntegerField(_("nominations per school and stage"), default=1)
    max_age = models.PositiveSmallIntegerField(
        _("age limit (under)"), null=True, blank=True, default=45,
        help_text=_("Nominated teachers must be younger than this on the first day. Leave empty for no limit."),
    )
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.OPEN)
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)
    closed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["-start_date", "pk"]
        verbose_name = _("shadowing programme")
        verbose_name_plural = _("shadowing programmes")
        constraints = [
            models.CheckConstraint(condition=Q(end_date__gte=models.F("start_date")), name="shixun_shadowing_dates"),
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def is_closed(self) -> bool:
        return self.status == self.Status.CLOSED


class BaseSchool(models.Model):
    programme = models.ForeignKey(Programme, on_delete=models.CASCADE, related_name="base_schools")
    school = models.ForeignKey("shixun_accounts.School", on_delete=models.PROTECT, related_name="+",
                               verbose_name=_("school"))
    # The base school's report (基地校总结报告), due within a week of the end
    # (rules.base_report_due); empty until submitted.
    report = models.TextField(_("base school's report"), blank=True)
    report_submitted_at = models.DateTimeField(null=True, blank=True)
    report_submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    class Meta:
        verbose_name = _("base school")
        verbose_name_plural = _("base schools")
        constraints = [models.UniqueConstraint(fields=["programme", "school"], name="shixun_shadowing_base_unique")]

    def __str__(self) -> str:
        return str(self.school)


class Place(models.Model):
    """How many visiting teachers of one subject a base school takes."""

    base_school = models.ForeignKey(BaseSchool, on_delete=models.CASCADE, related_name="places")
    subject = models.ForeignKey("shixun_accounts.Subject", on_delete=models.PROTECT, related_name="+")
    places = models.PositiveSmallIntegerField(_("places"), default=1)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["base_school", "subject"], name="shixun_shadowing_place_unique")]

    def __str__(self) -> str:
        return f"{self.subject} × {self.places}"


class Participant(models.Model):
    """A nominated visiting teacher: the nomination, the placement, the mentor and the mentor's verdict."""

    programme = models.ForeignKey(Programme, on_delete=models.PROTECT, related_name="participants")
    teacher = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    nominating_school = models.ForeignKey("shixun_accounts.School", on_delete=models.PROTECT, related_name="+")
    stage = models.CharField(_("stage"), max_length=20, choices=Stage.choices)
    subject = models.ForeignKey("shixun_accounts.Subject", on_delete=models.PROTECT, related_name="+",
                                verbose_name=_("subject"))
    birth_date = models.DateField(_("date of birth"))
    nominated_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+")
    nominated_at = models.DateTimeField(default=timezone.now)
    base_school = models.ForeignKey(BaseSchool, on_delete=models.PROTECT, null=True, blank=True,
                                    related_name="participants")
    # 一对一: each visiting teacher has one named mentor (a mentor may guide
    # several teachers; the district's workload view shows how many).
    mentor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
                               related_name="+", verbose_name=_("mentor"))
    plan = models.TextField(_("personal study plan"), blank=True)
    score = models.DecimalField(
        _("score"), max_digits=5, decimal_places=1, null=True, blank=True,
        validators=[MinValueValidator(Decimal("0")), MaxValueValidator(Decimal("100"))],
    )
    appraisal = models.TextField(_("written appraisal"), blank=True)
    guidance = models.TextField(_("mentor's guidance summary"), blank=True)
    appraised_at = models.DateTimeField(null=True, blank=True)
    # Set when the programme is closed: what the rules decided.
    passed = models.BooleanField(null=True)
    outcome_note = models.CharField(max_length=255, blank=True)

    class Meta:
        ordering = ["programme", "pk"]
        verbose_name = _("visiting teacher")
        verbose_name_plural = _("visiting teachers")
        constraints = [
            models.UniqueConstraint(fields=["programme", "teacher"], name="shixun_shadowing_teacher_once"),
            models.CheckConstraint(condition=Q(score__isnull=True) | Q(score__gte=0, score__lte=100),
                                   name="shixun_shadowing_score_range"),
        ]

    def __str__(self) -> str:
        return f"{self.programme_id}: {self.teacher_id}"


class DatedRecord(models.Model):
    participant = models.ForeignKey(Participant, on_delete=models.CASCADE, related_name="+")
    day = models.DateField(_("date"))
    mentor_comment = models.TextField(_("mentor's comment"), blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        abstract = True
        ordering = ["day", "pk"]

    def __str__(self) -> str:
        return f"{self.participant_id} {self.day}"


class JournalDay(DatedRecord):
    participant = models.ForeignKey(Participant, on_delete=models.CASCADE, related_name="journal")
    text = models.TextField(_("what I did and learnt today"))

    class Meta(DatedRecord.Meta):
        constraints = [models.UniqueConstraint(fields=["participant", "day"], name="shixun_shadowing_journal_day")]


class Observation(DatedRecord):
    participant = models.ForeignKey(Participant, on_delete=models.CASCADE, related_name="observations")
    class_name = models.CharField(_("class"), max_length=50)
    subject = models.CharField(_("subject"), max_length=50)
    observed_teacher = models.CharField(_("teacher observed"), max_length=50)
    notes = models.TextField(_("notes"))
    photo = models.FileField(storage=private_storage, upload_to="shadowing/photos/", blank=True, max_length=200)
    photo_content_type = models.CharField(max_length=120, blank=True)


class TaughtLesson(DatedRecord):
    participant = models.ForeignKey(Participant, on_delete=models.CASCADE, related_name="lessons")
    class_name = models.CharField(_("class"), max_length=50)
    topic = models.CharField(_("topic"), max_length=200)
    is_report_lesson = models.BooleanField(_("report lesson"), default=False)
    lesson_plan = models.FileField(storage=private_storage, upload_to="shadowing/plans/", blank=True, max_length=200)
    lesson_plan_content_type = models.CharField(max_length=120, blank=True)


class Activity(DatedRecord):
    class Kind(models.TextChoices):
        RESEARCH = "research", _("Teaching-research activity")
        CLASS = "class", _("Class activity")

    participant = models.ForeignKey(Participant, on_delete=models.CASCADE, related_name="activities")
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices)
    description = models.TextField(_("what happened"))


class Writing(models.Model):
    class Kind(models.TextChoices):
        REFLECTION = "reflection", _("Reflection")
        REPORT = "report", _("Research report")

    participant = models.ForeignKey(Participant, on_delete=models.CASCADE, related_name="writings")
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices)
    title = models.CharField(_("title"), max_length=200)
    text = models.TextField(_("text"))
    mentor_comment = models.TextField(_("mentor's comment"), blank=True)
    submitted_on = models.DateField(default=timezone.localdate)

    class Meta:
        ordering = ["submitted_on", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["participant"], condition=Q(kind="report"),
                                    name="shixun_shadowing_one_report"),
        ]

    def __str__(self) -> str:
        return self.title


class Attendance(models.Model):
    class Status(models.TextChoices):
        PRESENT = "present", _("Present")
        ABSENT = "absent", _("Absent")

    participant = models.ForeignKey(Participant, on_delete=models.CASCADE, related_name="attendance")
    day = models.DateField(_("date"))
    status = models.CharField(_("attendance"), max_length=10, choices=Status.choices)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+")
    recorded_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["day"]
        constraints = [models.UniqueConstraint(fields=["participant", "day"], name="shixun_shadowing_attendance_day")]

    def __str__(self) -> str:
        return f"{self.participant_id} {self.day} {self.status}"


class Leave(models.Model):
    """A leave request for one day: excused only once both the mentor and the base school approved it."""

    participant = models.ForeignKey(Participant, on_delete=models.CASCADE, related_name="leaves")
    day = models.DateField(_("date"))
    reason = models.CharField(_("reason"), max_length=255)
    mentor_approved_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True,
                                           blank=True, related_name="+")
    school_approved_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True,
                                           blank=True, related_name="+")

    class Meta:
        ordering = ["day"]
        constraints = [models.UniqueConstraint(fields=["participant", "day"], name="shixun_shadowing_leave_day")]

    def __str__(self) -> str:
        return f"{self.participant_id} {self.day}"

    @property
    def approved(self) -> bool:
        return self.mentor_approved_by_id is not None and self.school_approved_by_id is not None
