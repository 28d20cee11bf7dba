"""Course grades, certificate issue and revocation.

A course completion earns a certificate when the course is passed:
- with grade components configured, the weighted sum of the learner's
  component scores must reach the pass mark (every component scored first);
- without components, completing every module is the pass;
- with an attendance rule, that many days of absence or more voids it.
Passing also posts the course's extra award hours, if any, as a course award.
Issue and award are idempotent (one certificate per course completion, one
award entry per course completion), so the check can run again whenever a
score or an attendance record arrives.
"""

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from django.db import IntegrityError, transaction
from django.db.models import Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from .models import (
    AuditAction,
    Certificate,
    ComponentScore,
    CourseAttendance,
    CourseCreditSettings,
    CreditAuditEvent,
    LedgerEntry,
    SourceKind,
)

DEFAULT_PASS_MARK = Decimal("60")
PASSED = "passed"
FAILED = "failed"
PENDING = "pending"
VOID = "void"


@dataclass(frozen=True)
class CourseResult:
    outcome: str  # passed, failed, pending (scores missing), void (attendance)
    score: Decimal | None
    message: str


def course_result(
    *,
    components: list[tuple[int, int]],
    scores: dict[int, Decimal],
    pass_mark: Decimal = DEFAULT_PASS_MARK,
    absent_days: int = 0,
    void_at_absent_days: int | None = None,
) -> CourseResult:
    """Pure grading rule. `components` is [(component id, weight %)], `scores` {component id: 0..100}."""
    if void_at_absent_days is not None and absent_days >= void_at_absent_days:
        return CourseResult(
            VOID, None, _("Absent without leave for %(days)s days: no certificate.") % {"days": absent_days}
        )
    if not components:
        return CourseResult(PASSED, None, _("All modules completed."))
    if any(component_id not in scores for component_id, _weight in components):
        return CourseResult(PENDING, None, _("Waiting for every part of the grade."))
    total = sum((Decimal(weight) * Decimal(scores[cid]) for cid, weight in components), Decimal("0")) / Decimal(100)
    total = total.quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)
    if total >= pass_mark:
        return CourseResult(PASSED, total, _("Passed with %(score)s.") % {"score": total})
    return CourseResult(
        FAILED, total, _("Not passed: %(score)s (pass mark %(mark)s).") % {"score": total, "mark": pass_mark}
    )


def result_for(course_completion) -> CourseResult:
    settings = (
        CourseCreditSettings.objects.filter(course_id=course_completion.course_id)
        .prefetch_related("components")
        .first()
    )
    if settings is None:
        return course_result(components=[], scores={})
    components = [(c.pk, c.weight) for c in settings.components.all()]
    scores = dict(
        ComponentScore.objects.filter(
            learner_id=course_completion.user_id, component_id__in=[cid for cid, _w in components]
        ).values_list("component_id", "score")
    )
    attendance = CourseAttendance.objects.filter(
        learner_id=course_completion.user_id, course_id=course_completion.course_id
    ).first()
    return course_result(
        components=components,
        scores=scores,
        pass_mark=settings.pass_mark,
        absent_days=attendance.absent_days if attendance else 0,
        void_at_absent_days=settings.void_at_absent_days,
    )


def process_course_completion(course_completion_id: int, *, via: str = "task") -> Certificate | None:
    """Award and certify a completed course if it is passed; a no-op when already done or not (yet) passed."""
    from courses.models import CourseCompletion, ModuleCompletion

    from .ledger import post_entry, post_module_completion

    completion = (
        CourseCompletion.objects.select_related("user__district", "course").filter(pk=course_completion_id).first()
    )
    if completion is None:
        return None
    # The certificate states the hours on the ledger. The course's last module
    # completion is posted by its own task, which may not have run yet: post
    # the learner's pending module entries of this course first (idempotent),
    # so a certificate never states fewer hours than were earned.
    pending = ModuleCompletion.objects.filter(
        user_id=completion.user_id, course_id=completion.course_id, ledger_entry__isnull=True
    ).values_list("pk", flat=True)
    for module_completion_id in pending:
        post_module_completion(module_completion_id, via=via)
    result = result_for(completion)
    if result.outcome != PASSED:
        return None
    settings = CourseCreditSettings.objects.filter(course_id=completion.course_id).first()
    completed_on = timezone.localdate(completion.completed_at)
    with transaction.atomic():
        if settings is not None and settings.award_hours > 0:
            post_entry(
                learner=completion.user,
                hours=settings.award_hours,
                title=completion.course.title,
                source_kind=SourceKind.COURSE_AWARD,
                source_ref=str(completion.pk),
                earned_on=completed_on,
                category_id=completion.course.category_id,
                course_id=completion.course_id,
                course_completion_id=completion.pk,
                via=via,
            )
        return issue_certificate(completion, result, settings, via=via)


def course_hours(learner_id, course_id) -> Decimal:
    """Net hours a learner holds for a course (module entries, awards, minus reversals)."""
    return LedgerEntry.objects.filter(learner_id=learner_id, course_id=course_id).aggregate(total=Sum("hours"))[
        "total"
    ] or Decimal("0")


def issue_certificate(completion, result: CourseResult, settings, *, via: str) -> Certificate:
    existing = Certificate.objects.filter(course_completion=completion).first()
    if existing is not None:
        return existing
    learner = completion.user
    issuer = (settings.issuer if settings and settings.issuer else None) or (
        learner.district.name if learner.district_id else _("Shixun")
    )
    try:
        with transaction.atomic():
            certificate = Certificate.objects.create(
                learner=learner,
                course_id=completion.course_id,
                course_completion=completion,
                kind=completion.course.certificate_kind,
                course_title=completion.course.title,
                learner_name=learner.display_name,
                hours=course_hours(learner.pk, completion.course_id),
                score=result.score,
                completed_on=timezone.localdate(completion.completed_at),
                issued_on=timezone.localdate(),
                issuer=issuer,
            )
            CreditAuditEvent.objects.create(
                action=AuditAction.CERTIFICATE_ISSUED, certificate=certificate, via=via, detail=certificate.code
            )
    except IntegrityError:
        # Another worker issued it first (unique per course completion).
        return Certificate.objects.get(course_completion=completion)
    return certificate


def revoke_certificates_for_entry(entry: LedgerEntry, *, reason: str, actor) -> int:
    """Revoke the learner's certificates for the course the reversed entry counted towards."""
    if entry.course_id is None:
        return 0
    revoked = 0
    certificates = Certificate.objects.select_for_update().filter(
        learner_id=entry.learner_id, course_id=entry.course_id, revoked_at__isnull=True
    )
    for certificate in certificates:
        certificate.revoked_at = timezone.now()
        certificate.revoked_reason = reason
        certificate.save(update_fields=["revoked_at", "revoked_reason"])
        CreditAuditEvent.objects.create(
            action=AuditAction.CERTIFICATE_REVOKED,
            certificate=certificate,
            entry=entry,
            actor=actor,
            via="admin",
            detail=reason,
        )
        revoked += 1
    return revoked


def record_component_score(learner, component, score, *, recorded_by=None) -> ComponentScore:
    """Enter or correct one part of a learner's grade, then certify the course if that passes it."""
    from courses.models import CourseCompletion

    score = Decimal(score)
    if not Decimal("0") <= score <= Decimal("100"):
        raise ValueError(_("A score must be between 0 and 100."))
    row, _created = ComponentScore.objects.update_or_create(
        learner=learner,
        component=component,
        defaults={"score": score, "recorded_by": recorded_by, "recorded_at": timezone.now()},
    )
    completion = CourseCompletion.objects.filter(user=learner, course_id=component.settings.course_id).first()
    if completion is not None:
        transaction.on_commit(lambda: process_course_completion(completion.pk, via="service"))
    return row


def record_attendance(learner, course, absent_days: int, *, recorded_by=None) -> CourseAttendance:
    row, _created = CourseAttendance.objects.update_or_create(
        learner=learner,
        course=course,
        defaults={"absent_days": absent_days, "recorded_by": recorded_by, "recorded_at": timezone.now()},
    )
    return row
