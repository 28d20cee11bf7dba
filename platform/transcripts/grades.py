"""The trainer's grade sheet: every enrolled learner's component scores and absences for one course.

Reading (`build_sheet`) takes a fixed number of queries however many
learners; the course result shown per learner is the same pure rule
(`certificates.course_result`) that decides certificates.

Saving is two steps so that nothing is half-saved: `parse_changes` checks
every cell and returns the changed values or an error per cell; only a sheet
without errors is passed to `save_changes`, which writes all of it in one
transaction and re-evaluates each changed learner's certificate inside it.
"""

from dataclasses import dataclass, field
from decimal import Decimal

from django.db import transaction
from django.utils.translation import gettext as _

from shixun.accounts.actors import recorded_person, require

from . import certificates as certs
from .absence import computed_absence_days
from .models import Certificate, ComponentScore, CourseAttendance, CourseCreditSettings, GradeComponent
from .permissions import can_grade_course


def score_field(learner_id: int, component_id: int) -> str:
    return f"s-{learner_id}-{component_id}"


def absence_field(learner_id: int) -> str:
    return f"a-{learner_id}"


@dataclass
class SheetRow:
    learner: object
    completed: bool
    scores: dict[int, Decimal]
    absent_days: int | None
    result: certs.CourseResult
    certificate: Certificate | None
    # "Hours when the course is passed" only: what a pass would post now (the
    # ledger's pending computation) and what a fail would reverse now.
    pending: object = None  # services.PendingCourse
    posted_by_pass: Decimal = Decimal("0")

    @property
    def certificate_state(self) -> str:
        if self.certificate is None:
            return "none"
        return "valid" if self.certificate.is_valid else "revoked"


@dataclass
class GradeSheet:
    course: object
    settings: CourseCreditSettings | None
    components: list[GradeComponent]
    rows: list[SheetRow] = field(default_factory=list)
    # The course has sessions: days absent come from attendance and are shown, not typed.
    absence_from_sessions: bool = False
    # The course's hours post when it is passed (CreditPolicy.ON_PASS).
    hours_on_pass: bool = False

    @property
    def takes_attendance(self) -> bool:
        return self.settings is not None and self.settings.void_at_absent_days is not None

    @property
    def types_attendance(self) -> bool:
        """Whether the trainer types days absent on this sheet (an attendance rule and no sessions)."""
        return self.takes_attendance and not self.absence_from_sessions

    @property
    def has_inputs(self) -> bool:
        return bool(self.components) or self.takes_attendance


def learners_of(course):
    """Learners on the sheet: active enrolments, and anyone who completed the course (even if withdrawn since)."""
    from django.contrib.auth import get_user_model
    from django.db.models import Q

    from shixun.courses.models import Enrolment

    return (
        get_user_model()
        .objects.filter(
            Q(enrolments__course=course, enrolments__status=Enrolment.Status.ACTIVE)
            | Q(course_completions__course=course)
        )
        .distinct()
        .select_related("shixun_profile__school")
        .order_by("shixun_profile__school__name", "shixun_profile__staff_number", "username")
    )


def build_sheet(course) -> GradeSheet:
    from shixun.courses.models import CourseCompletion, CreditPolicy

    from .services import pending_by_learner

    settings = CourseCreditSettings.objects.filter(course=course).first()
    components = list(settings.components.all()) if settings else []
    sheet = GradeSheet(course=course, settings=settings, components=components)
    learners = list(learners_of(course))
    ids = [learner.pk for learner in learners]
    scores: dict[int, dict[int, Decimal]] = {pk: {} for pk in ids}
    for learner_id, component_id, score in ComponentScore.objects.filter(
        learner_id__in=ids, component__in=components
    ).values_list("learner_id", "component_id", "score"):
        scores[learner_id][component_id] = score
    absences = computed_absence_days(course, ids) if sheet.takes_attendance else None
    sheet.absence_from_sessions = absences is not None
    if absences is None:
        absences = dict(
            CourseAttendance.objects.filter(course=course, learner_id__in=ids).values_list("learner_id", "absent_days")
        )
    completed = set(CourseCompletion.objects.filter(course=course, user_id__in=ids).values_list("user_id", flat=True))
    # The newest certificate per learner (a revoked one stays on record).
    issued: dict[int, Certificate] = {}
    for certificate in Certificate.objects.filter(course=course, learner_id__in=ids).order_by("pk"):
        issued[certificate.learner_id] = certificate
    weights = [(c.pk, c.weight) for c in components]
    # Two more queries, only for a course whose hours wait for the pass: what
    # a pass would post (the transcript's 待考核 figure) and a fail reverse.
    pending: dict[int, list] = {}
    posted: dict[int, Decimal] = {}
    sheet.hours_on_pass = course.credit_policy == CreditPolicy.ON_PASS
    if sheet.hours_on_pass and ids:
        pending = pending_by_learner(learners, [course.pk])
        posted = certs.pass_posted_hours(course.pk, ids)
    for learner in learners:
        result = certs.course_result(
            components=weights,
            scores=scores[learner.pk],
            pass_mark=settings.pass_mark if settings else certs.DEFAULT_PASS_MARK,
            absent_days=absences.get(learner.pk, 0),
            void_at_absent_days=settings.void_at_absent_days if settings else None,
        )
        sheet.rows.append(
            SheetRow(
                learner=learner,
                completed=learner.pk in completed,
                scores=scores[learner.pk],
                absent_days=absences.get(learner.pk),
                result=result,
                certificate=issued.get(learner.pk),
                pending=(pending.get(learner.pk) or [None])[0],
                posted_by_pass=posted.get(learner.pk, Decimal("0")),
            )
        )
    return sheet


@dataclass(frozen=True)
class Change:
    learner: object
    component: GradeComponent | None  # None: absent days
    value: Decimal | int


def parse_changes(sheet: GradeSheet, data) -> tuple[list[Change], dict[str, str]]:
    """Every cell of the posted sheet checked: (changed values, {field name: error message})."""
    changes: list[Change] = []
    errors: dict[str, str] = {}
    for row in sheet.rows:
        learner = row.learner
        for component in sheet.components:
            name = score_field(learner.pk, component.pk)
            if name not in data:
                continue  # not on the form the trainer saw (e.g. a learner enrolled since)
            text = data.get(name, "").strip().replace("，", ".").replace(",", ".")
            old = row.scores.get(component.pk)
            if text == "":
                if old is not None:
                    errors[name] = _("A score cannot be removed. Enter a score from 0 to 100.")
                continue
            try:
                value = certs.validate_score(text)
            except ValueError as error:
                errors[name] = str(error)
                continue
            if old is None or value != old:
                changes.append(Change(learner, component, value))
        if sheet.types_attendance:
            name = absence_field(learner.pk)
            if name not in data:
                continue
            text = data.get(name, "").strip()
            if text == "":
                if row.absent_days is not None:
                    errors[name] = _("Enter the days absent (0 if none).")
                continue
            try:
                days = certs.validate_absent_days(text)
            except ValueError as error:
                errors[name] = str(error)
                continue
            if row.absent_days is None or days != row.absent_days:
                changes.append(Change(learner, None, days))
    return changes, errors


@dataclass(frozen=True)
class SaveSummary:
    values: int
    learners: int
    issued: int
    revoked: int


def save_changes(course, changes: list[Change], *, actor) -> SaveSummary:
    """Write every change and re-evaluate each changed learner, all in one transaction.

    `actor` must grade the course (permissions.can_grade_course;
    accounts.actors.SYSTEM skips the check), else NotPermitted and nothing
    is written. The grades are recorded under the actor's name.
    """
    from shixun.courses.models import CourseCompletion

    require(actor, lambda user: can_grade_course(user, course), _("You do not grade this course."))
    person = recorded_person(actor)
    learner_ids = sorted({change.learner.pk for change in changes})
    if not learner_ids:
        return SaveSummary(0, 0, 0, 0)
    certificates = Certificate.objects.filter(course=course, learner_id__in=learner_ids)
    with transaction.atomic():
        # Lock the changed learners' completions first, in one order, so two
        # trainers saving overlapping sheets queue instead of deadlocking, and
        # the second evaluation sees the first one's scores.
        list(
            CourseCompletion.objects.select_for_update()
            .filter(course=course, user_id__in=learner_ids)
            .order_by("pk")
            .values_list("pk", flat=True)
        )
        valid_before = set(certificates.filter(revoked_at__isnull=True).values_list("pk", flat=True))
        for change in sorted(changes, key=lambda c: (c.learner.pk, c.component.pk if c.component else 0)):
            if change.component is None:
                certs.record_attendance(change.learner, course, change.value, recorded_by=person, evaluate=False)
            else:
                certs.record_component_score(
                    change.learner, change.component, change.value, recorded_by=person, evaluate=False
                )
        by_pk = {change.learner.pk: change.learner for change in changes}
        for learner_id in learner_ids:
            certs.evaluate_course(by_pk[learner_id], course.pk, actor=actor, via="grades")
        valid_after = set(certificates.filter(revoked_at__isnull=True).values_list("pk", flat=True))
    return SaveSummary(
        values=len(changes),
        learners=len(learner_ids),
        issued=len(valid_after - valid_before),
        revoked=len(valid_before - valid_after),
    )
