"""Course pages and the learner's progress through them.

Page tree: CataloguePage → CoursePage → ModulePage. Progress is three kinds
of record:

- ActivityProgress: one row per learner, module and activity key (the lesson
  content, each quiz, assignment and H5P activity), written by the apps that
  own the activity through `courses.progress.record_activity_status`.
- ModuleCompletion: the recorded fact that a learner completed a module, with
  the credit hours the module was worth at that moment. Created exactly once
  (unique per learner and module); the credit ledger posts hours from it.
- CourseCompletion: likewise for a whole course.
"""

from decimal import Decimal

from django.conf import settings
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import Sum
from django.utils import timezone
from django.utils.functional import lazy
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from modelcluster.fields import ParentalManyToManyField
from wagtail.admin.panels import FieldPanel, MultiFieldPanel
from wagtail.fields import RichTextField, StreamField
from wagtail.models import Page, PageViewRestriction
from wagtail.search import index
from wagtail.snippets.models import register_snippet

from shixun.config.conf import shixun_settings
from shixun.config.i18n import localised

from .admin_forms import CoursePageForm
from .blocks import RICH_TEXT_FEATURES, ModuleBodyBlock


@register_snippet
class CourseCategory(models.Model):
    """A course theme (师德师风, 课程标准, …): managed records so a district can add its own."""

    name = models.CharField(_("name"), max_length=50, unique=True)
    name_en = models.CharField(
        _("English name"), max_length=50, blank=True, help_text=_("Shown on English pages; empty: the Chinese name.")
    )
    slug = models.SlugField(_("slug"), max_length=50, unique=True)
    sort_order = models.PositiveSmallIntegerField(_("sort order"), default=0)

    panels = [FieldPanel("name"), FieldPanel("name_en"), FieldPanel("slug"), FieldPanel("sort_order")]

    class Meta:
        ordering = ["sort_order", "name"]
        verbose_name = _("course category")
        verbose_name_plural = _("course categories")

    def __str__(self) -> str:
        # In the page's language: filter choices and badges show it as it is.
        return localised(self, "name")


class LearnerPageMixin:
    """Routing and the view-restriction check of the learner pages, with fewer queries than Wagtail's defaults.

    `child_page_model`: the only page type allowed below this one
    (subpage_types). Wagtail routes to a child with two queries, the generic
    page row then its specific row; asking the child's model directly takes
    one. Anything else (a child of another type left from earlier rules, an
    unknown slug) goes through Wagtail's own routing, unchanged.
    """

    child_page_model = None
    # The route to these pages depends on the path alone (no request or user in route()), so it may be kept
    # in the shared cache (themes/site_cache.py): saves Wagtail's routing queries on every page view.
    shixun_route_cacheable = True

    def route(self, request, path_components):
        model = self.child_page_model() if self.child_page_model else None
        if path_components and model is not None:
            child = model.objects.filter(
                path__startswith=self.path, depth=self.depth + 1, slug=path_components[0]
            ).first()
            if child is not None and child.specific_class is model:
                child._cached_parent_obj = self  # get_parent() without a query, as Wagtail's route does
                return child.route(request, path_components[1:])
        return super().route(request, path_components)

    def get_view_restrictions(self):
        from .page_cache import view_restrictions_exist

        if not view_restrictions_exist():
            # Known empty: marked as already read, so Wagtail's check iterating it on every page view compiles
            # no SQL (the ORM still built the empty query's compiler each time). Still a queryset for the admin's
            # uses (.order_by, .exists), each of which makes a new, equally empty one.
            none = PageViewRestriction.objects.none()
            none._result_cache = []
            return none
        return super().get_view_restrictions()


class CataloguePage(LearnerPageMixin, Page):
    intro = RichTextField(_("introduction"), blank=True, features=RICH_TEXT_FEATURES)
    # The district's own words on English pages (shixun.config.i18n.localised); empty: the Chinese.
    title_en = models.CharField(_("English title"), max_length=255, blank=True)
    intro_en = RichTextField(_("English introduction"), blank=True, features=RICH_TEXT_FEATURES)

    def get_context(self, request, *args, **kwargs):
        from .page_views import catalogue_context

        context = super().get_context(request, *args, **kwargs)
        context.update(catalogue_context(request, self))
        return context

    content_panels = [*Page.content_panels, FieldPanel("intro"), FieldPanel("title_en"), FieldPanel("intro_en")]
    subpage_types = ["shixun_courses.CoursePage"]
    parent_page_types = ["wagtailcore.Page"]
    template = "courses/catalogue_page.html"

    @staticmethod
    def child_page_model():
        return CoursePage

    class Meta:
        verbose_name = _("course catalogue")


class EnrolmentMode(models.TextChoices):
    OPEN = "open", _("Open: teachers enrol themselves")
    ASSIGNED = "assigned", _("Assigned by a school or district admin")
    APPLICATION = "application", _("By application: teacher applies, school recommends, district approves")


class CertificateKind(models.TextChoices):
    COMPLETION = "completion", _("Completion certificate (结业证书)")
    CREDIT_HOURS = "credit_hours", _("Credit-hour certificate (学时证明书)")


class CreditPolicy(models.TextChoices):
    """When a course's hours reach the ledger (see transcripts.ledger: the ledger applies it)."""

    PER_MODULE = "per_module", _("Hours per completed module (self-paced online courses)")
    ON_PASS = "on_pass", _("Hours when the course is passed (graded and centralised courses)")


class CoursePage(LearnerPageMixin, Page):
    summary = models.TextField(
        _("summary"), max_length=500, help_text=_("One or two sentences shown in the catalogue.")
    )
    description = RichTextField(_("description"), blank=True, features=RICH_TEXT_FEATURES)
    cover_image = models.ForeignKey(
        "wagtailimages.Image", null=True, blank=True, on_delete=models.SET_NULL, related_name="+",
        verbose_name=_("cover image"),
    )
    category = models.ForeignKey(
        CourseCategory, null=True, blank=True, on_delete=models.SET_NULL, related_name="courses",
        verbose_name=_("category"),
    )
    audience = ParentalManyToManyField(
        "shixun_accounts.TeacherCategory", blank=True, related_name="courses", verbose_name=_("audience"),
        help_text=_("Teacher categories the course is meant for. Leave empty for everyone."),
    )
    enrolment_mode = models.CharField(
        _("enrolment"), max_length=20, choices=EnrolmentMode.choices, default=EnrolmentMode.OPEN
    )
    application_quota_per_school = models.PositiveIntegerField(
        _("places per school"), null=True, blank=True,
        help_text=_("For courses by application: how many teachers each school may send. Empty for no limit."),
    )
    starts_on = models.DateField(_("starts on"), null=True, blank=True)
    ends_on = models.DateField(_("ends on"), null=True, blank=True)
    trainers = ParentalManyToManyField(
        settings.AUTH_USER_MODEL, blank=True, related_name="trained_courses", verbose_name=_("trainers"),
    )
    certificate_kind = models.CharField(
        _("certificate"), max_length=20, choices=CertificateKind.choices, default=CertificateKind.CREDIT_HOURS
    )
    credit_policy = models.CharField(
        _("when hours are credited"), max_length=20, choices=CreditPolicy.choices, default=CreditPolicy.PER_MODULE,
        help_text=_(
            "Per module: each module's hours are credited as soon as the learner completes it. "
            "When passed: completed modules are shown as pending (待考核) and all the course's hours, "
            "with any extra hours on passing, are credited once the course grade passes and the attendance "
            "rule holds; a later failure or revocation takes them back. A change applies to modules completed "
            "from then on: hours already credited stay, and modules already completed keep the rule they "
            "were completed under."
        ),
    )
    # Plain text of the course and its live modules, kept by courses.search so
    # the catalogue can search Chinese with a substring match (see search.py).
    search_text = models.TextField(editable=False, blank=True, default="")

    content_panels = [
        *Page.content_panels,
        FieldPanel("summary"),
        FieldPanel("cover_image"),
        FieldPanel("category"),
        FieldPanel("description"),
        MultiFieldPanel(
            [FieldPanel("audience"), FieldPanel("enrolment_mode"), FieldPanel("application_quota_per_school")],
            heading=_("Who can take it"),
        ),
        MultiFieldPanel([FieldPanel("starts_on"), FieldPanel("ends_on")], heading=_("Dates")),
        FieldPanel("trainers"),
        FieldPanel("certificate_kind"),
        FieldPanel("credit_policy"),
    ]
    search_fields = [
        *Page.search_fields,
        index.SearchField("summary"),
        index.SearchField("description"),
        index.FilterField("category_id"),
        index.FilterField("enrolment_mode"),
    ]
    parent_page_types = ["shixun_courses.CataloguePage"]
    subpage_types = ["shixun_courses.ModulePage"]
    base_form_class = CoursePageForm
    template = "courses/course_page.html"
    base_form_class = CoursePageForm

    @staticmethod
    def child_page_model():
        return ModulePage

    class Meta:
        verbose_name = _("course")

    def live_modules(self):
        if not self.path:  # an unsaved page (e.g. the preview of a new course) has no children
            return ModulePage.objects.none()
        return ModulePage.objects.child_of(self).live().order_by("path")

    def save(self, *args, **kwargs):
        from .search import course_search_text

        # Only a full save writes the live row; a draft revision save passes
        # update_fields and must not put draft text into the catalogue.
        if kwargs.get("update_fields") is None:
            self.search_text = course_search_text(self)
        super().save(*args, **kwargs)

    def get_context(self, request, *args, **kwargs):
        from .page_views import course_page_context

        context = super().get_context(request, *args, **kwargs)
        context.update(course_page_context(request, self))
        return context

    @property
    def total_credit_hours(self) -> Decimal:
        """The sum of the live modules' hours: what the course is worth, never typed by hand."""
        return self.live_modules().aggregate(total=Sum("credit_hours"))["total"] or Decimal("0")


def _study_minutes_help_text() -> str:
    # The editor says what "blank" means in minutes: the district's conversion, read when the form is shown.
    return gettext(
        "Active study time a learner spends on the lesson before it counts as done. Leave blank to derive it "
        "from the credit hours: %(minutes)d minutes of study per credit hour."
    ) % {"minutes": shixun_settings.SHIXUN_MINUTES_PER_CREDIT_HOUR}


_study_minutes_help = lazy(_study_minutes_help_text, str)


class ModulePage(LearnerPageMixin, Page):
    credit_hours = models.DecimalField(
        _("credit hours"), max_digits=5, decimal_places=1, default=Decimal("1.0"),
        validators=[MinValueValidator(Decimal("0"))],
        help_text=_("Hours posted to the transcript when a learner completes this module, e.g. 1.5."),
    )
    # The study time the module's hours stand for; blank: the hours × the district's minutes per credit hour.
    study_minutes = models.PositiveIntegerField(
        _("minimum study time (minutes)"), null=True, blank=True,
        help_text=_("Active study time a learner spends on the lesson before it counts as done. "
                    "Leave blank to derive it from the credit hours."),
    )
    due_date = models.DateField(_("due date"), null=True, blank=True)
    introduction = models.TextField(_("introduction"), blank=True, max_length=500)
    body = StreamField(ModuleBodyBlock, blank=True, verbose_name=_("content"))

    content_panels = [
        *Page.content_panels,
        FieldPanel("credit_hours"),
        FieldPanel("study_minutes", help_text=_study_minutes_help()),
        FieldPanel("due_date"),
        FieldPanel("introduction"),
        FieldPanel("body"),
    ]
    search_fields = [*Page.search_fields, index.SearchField("introduction"), index.SearchField("body")]
    parent_page_types = ["shixun_courses.CoursePage"]
    subpage_types = []
    template = "courses/module_page.html"

    class Meta:
        verbose_name = _("module")

    def get_course(self) -> CoursePage:
        parent = getattr(self, "_cached_parent_obj", None)
        if isinstance(parent, CoursePage):
            return parent  # routed here through the course (LearnerPageMixin.route): no query
        # One query: the parent's path is this page's path minus one step.
        return CoursePage.objects.get(path=self.path[: -self.steplen])

    def serve(self, request, *args, **kwargs):
        from .page_views import serve_module

        return serve_module(self, request, *args, **kwargs)

    def serve_preview(self, request, mode_name):
        # Wagtail's preview renders get_context directly; the module page's
        # context (course, steps, statuses) is built by serve_module, which
        # records nothing for a preview.
        from .page_views import serve_module

        request.is_preview = True
        return serve_module(self, request)


class EnrolmentSource(models.TextChoices):
    SELF = "self", _("Enrolled themselves")
    ASSIGNED = "assigned", _("Assigned")
    APPLICATION = "application", _("Approved application")


class Enrolment(models.Model):
    """A learner's place in a course. Withdrawing keeps the row (and all progress)."""

    class Status(models.TextChoices):
        ACTIVE = "active", _("Enrolled")
        WITHDRAWN = "withdrawn", _("Withdrawn")

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="enrolments")
    course = models.ForeignKey(CoursePage, on_delete=models.CASCADE, related_name="enrolments")
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.ACTIVE)
    source = models.CharField(max_length=20, choices=EnrolmentSource.choices, default=EnrolmentSource.SELF)
    enrolled_at = models.DateTimeField(default=timezone.now)
    withdrawn_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("enrolment")
        verbose_name_plural = _("enrolments")
        constraints = [models.UniqueConstraint(fields=["user", "course"], name="shixun_enrolment_unique")]
        indexes = [models.Index(fields=["course", "status"])]

    def __str__(self) -> str:
        return f"{self.user} → {self.course}"


class EnrolmentEvent(models.Model):
    """One line of an enrolment's history: who enrolled, withdrew or re-enrolled a learner, when and why."""

    class Action(models.TextChoices):
        ENROLLED = "enrolled", _("Enrolled")
        WITHDRAWN = "withdrawn", _("Withdrawn")
        REENROLLED = "reenrolled", _("Enrolled again")

    enrolment = models.ForeignKey(Enrolment, on_delete=models.CASCADE, related_name="events")
    action = models.CharField(max_length=20, choices=Action.choices)
    source = models.CharField(max_length=20, choices=EnrolmentSource.choices, blank=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    reason = models.CharField(max_length=300, blank=True)
    at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["at", "pk"]
        verbose_name = _("enrolment event")
        verbose_name_plural = _("enrolment events")

    def __str__(self) -> str:
        return f"{self.enrolment}: {self.action} {self.at:%Y-%m-%d}"


class AssignmentRule(models.Model):
    """An admin's assignment of a course to a whole school or district, optionally one teacher category.

    With `include_future`, the rule stands: teachers created or imported later
    (or who later join the category) are enrolled too, by
    `courses.enrolment.apply_standing_assignments`.
    """

    course = models.ForeignKey(CoursePage, on_delete=models.CASCADE, related_name="assignment_rules")
    school = models.ForeignKey(
        "shixun_accounts.School", null=True, blank=True, on_delete=models.CASCADE, related_name="+",
        verbose_name=_("school"),
    )
    district = models.ForeignKey(
        "shixun_accounts.District", null=True, blank=True, on_delete=models.CASCADE, related_name="+",
        verbose_name=_("district"),
    )
    category = models.ForeignKey(
        "shixun_accounts.TeacherCategory", null=True, blank=True, on_delete=models.CASCADE, related_name="+",
        verbose_name=_("teacher category"),
    )
    include_future = models.BooleanField(_("also teachers added later"), default=False)
    active = models.BooleanField(default=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("assignment rule")
        verbose_name_plural = _("assignment rules")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(school__isnull=False, district__isnull=True)
                | models.Q(school__isnull=True, district__isnull=False),
                name="shixun_assignment_rule_one_scope",
            )
        ]

    def __str__(self) -> str:
        scope = self.school_id and f"school {self.school_id}" or f"district {self.district_id}"
        return f"{self.course} → {scope}" + (f" ({self.category})" if self.category_id else "")


class ApplicationStatus(models.TextChoices):
    SUBMITTED = "submitted", _("Waiting for your school's recommendation")
    RECOMMENDED = "recommended", _("Recommended by your school, waiting for the district's approval")
    APPROVED = "approved", _("Approved: you are enrolled")
    REFUSED_BY_SCHOOL = "refused_school", _("Not recommended by your school")
    REFUSED_BY_DISTRICT = "refused_district", _("Not approved by the district")
    WITHDRAWN = "withdrawn", _("Withdrawn by you")


OPEN_APPLICATION_STATUSES = (ApplicationStatus.SUBMITTED, ApplicationStatus.RECOMMENDED)


class EnrolmentApplication(models.Model):
    """申请、推荐、审核: a teacher applies, their school recommends, the district approves.

    The school is the applicant's school when they applied: quotas and the
    school admin's queue count it even if the teacher moves later.
    """

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="course_applications")
    course = models.ForeignKey(CoursePage, on_delete=models.CASCADE, related_name="applications")
    school = models.ForeignKey("shixun_accounts.School", on_delete=models.PROTECT, related_name="+")
    status = models.CharField(max_length=20, choices=ApplicationStatus.choices, default=ApplicationStatus.SUBMITTED)
    motivation = models.CharField(_("why you want to take this course"), max_length=500, blank=True)
    refusal_reason = models.CharField(_("reason"), max_length=500, blank=True)
    submitted_at = models.DateTimeField(default=timezone.now)
    school_decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    school_decided_at = models.DateTimeField(null=True, blank=True)
    district_decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    district_decided_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["submitted_at", "pk"]
        verbose_name = _("course application")
        verbose_name_plural = _("course applications")
        constraints = [
            # One live application per teacher and course; refused or
            # withdrawn ones stay as history and the teacher may apply again.
            models.UniqueConstraint(
                fields=["user", "course"],
                condition=models.Q(status__in=["submitted", "recommended", "approved"]),
                name="shixun_application_one_live",
            )
        ]
        indexes = [models.Index(fields=["course", "school", "status"])]

    def __str__(self) -> str:
        return f"{self.user} → {self.course} ({self.get_status_display()})"

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_APPLICATION_STATUSES

    @property
    def is_refused(self) -> bool:
        return self.status in (ApplicationStatus.REFUSED_BY_SCHOOL, ApplicationStatus.REFUSED_BY_DISTRICT)


class ActivityStatus(models.TextChoices):
    NOT_STARTED = "not_started", _("Not started")
    IN_PROGRESS = "in_progress", _("In progress")
    WAITING = "waiting", _("Waiting for review")
    FAILED = "failed", _("Not passed")
    DONE = "done", _("Done")


class ActivityProgress(models.Model):
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="activity_progress")
    module = models.ForeignKey(ModulePage, on_delete=models.CASCADE, related_name="activity_progress")
    activity_key = models.CharField(max_length=64)
    status = models.CharField(max_length=20, choices=ActivityStatus.choices, default=ActivityStatus.NOT_STARTED)
    score = models.DecimalField(max_digits=6, decimal_places=2, null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("activity progress")
        verbose_name_plural = _("activity progress")
        constraints = [
            models.UniqueConstraint(fields=["user", "module", "activity_key"], name="shixun_activity_progress_unique")
        ]

    def __str__(self) -> str:
        return f"{self.user} · {self.module} · {self.activity_key}: {self.status}"


class StudyTime(models.Model):
    """A learner's active study time on one module's lesson, measured on the server from heartbeats.

    `last_beat_ms` is the server's clock (epoch milliseconds) at the previous
    accepted heartbeat: each heartbeat credits at most the time since then
    (courses.study). `lesson_reported`: the lesson was reported DONE for this
    time, so later heartbeats do not report it again.
    """

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="study_times")
    module = models.ForeignKey(ModulePage, on_delete=models.CASCADE, related_name="study_times")
    active_ms = models.BigIntegerField(default=0)
    last_beat_ms = models.BigIntegerField(null=True, blank=True)
    beats = models.PositiveIntegerField(default=0)
    lesson_reported = models.BooleanField(default=False)
    started_at = models.DateTimeField(default=timezone.now)
    # Evidence for the review of study patterns (courses.study_review), kept as aggregates updated by the
    # heartbeat's one UPDATE rather than a log of beats (700 beats/s would make a log the largest table):
    # credited gaps (count, sum, sum of squares → their spread: a script beats at a machine-regular rhythm),
    # beats less than half an interval after the previous one (several pages or devices on one clock),
    # credited beats while another of the learner's modules was beating too (two modules at once), and the
    # longest run of beats without a pause (the page's idle prompt breaks a person's runs; a script's never).
    credited_beats = models.PositiveIntegerField(default=0)
    gap_sum_ms = models.BigIntegerField(default=0)
    gap_sq_sum = models.BigIntegerField(default=0)  # ms²
    short_beats = models.PositiveIntegerField(default=0)
    overlap_beats = models.PositiveIntegerField(default=0)
    run_start_ms = models.BigIntegerField(null=True, blank=True)
    longest_run_ms = models.BigIntegerField(default=0)

    class Meta:
        verbose_name = _("study time")
        verbose_name_plural = _("study time")
        constraints = [models.UniqueConstraint(fields=["user", "module"], name="shixun_study_time_unique")]

    def __str__(self) -> str:
        return f"{self.user} · {self.module}: {self.active_ms // 1000} s"

    @property
    def active_seconds(self) -> int:
        return self.active_ms // 1000


class ModuleCompletion(models.Model):
    """A learner completed a module: recorded once, never edited.

    `credit_hours` is what the module was worth at that moment; editing the
    module later changes later completions only. `hours_on_pass` likewise
    records the course's credit policy at that moment.
    """

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="module_completions")
    module = models.ForeignKey(ModulePage, on_delete=models.PROTECT, related_name="completions")
    course = models.ForeignKey(CoursePage, on_delete=models.PROTECT, related_name="module_completions")
    credit_hours = models.DecimalField(max_digits=5, decimal_places=1)
    # The course's credit policy when the module was completed (like
    # credit_hours, fixed then): True means "hours when the course is
    # passed", so the ledger holds these hours until the course is passed.
    # Changing a course's policy later therefore never re-decides a
    # completion: nothing already credited is credited again or lost.
    hours_on_pass = models.BooleanField(default=False)
    completed_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("module completion")
        verbose_name_plural = _("module completions")
        constraints = [models.UniqueConstraint(fields=["user", "module"], name="shixun_module_completion_unique")]
        indexes = [models.Index(fields=["course", "user"])]

    def __str__(self) -> str:
        return f"{self.user} ✓ {self.module}"


class CourseCompletion(models.Model):
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="course_completions")
    course = models.ForeignKey(CoursePage, on_delete=models.PROTECT, related_name="completions")
    completed_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("course completion")
        verbose_name_plural = _("course completions")
        constraints = [models.UniqueConstraint(fields=["user", "course"], name="shixun_course_completion_unique")]

    def __str__(self) -> str:
        return f"{self.user} ✓ {self.course}"



class VideoWatch(models.Model):
    """What one learner has watched of one lesson video: the covered parts of its timeline (video_watching.py).

    The video is the module's VideoBlock, named by its StreamField block id,
    which stays the same across the page's revisions (moving or retitling the
    block keeps what was watched). `last_report_at` is the server's time of the
    last accepted report: the next report may credit at most twice the time
    since (video_watching.credit).
    """

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="video_watches")
    module = models.ForeignKey(ModulePage, on_delete=models.CASCADE, related_name="video_watches")
    block_id = models.CharField(max_length=64)
    duration = models.FloatField()  # seconds, as the learner's browser reported it first
    covered = models.JSONField(default=list)  # sorted disjoint [start, end] pairs, in seconds
    covered_seconds = models.FloatField(default=0)
    reports = models.PositiveIntegerField(default=0)
    last_report_at = models.DateTimeField()
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("video watching")
        verbose_name_plural = _("video watching")
        constraints = [
            models.UniqueConstraint(fields=["user", "module", "block_id"], name="shixun_video_watch_unique")
        ]

    def __str__(self) -> str:
        return f"{self.user} · {self.module} · {self.block_id}: {self.covered_seconds:.0f}/{self.duration:.0f} s"
