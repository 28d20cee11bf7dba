"""Course grades, certificate issue and revocation.

A course completion earns a certificate when the course is passed:
- with grade components configured, the weighted sum of the learner's
  component scores must reach the pass mark (every component scored first);
- without components, completing every module is the pass;
- with an attendance rule, that many days of absence or more voids it.
Passing also posts the course's extra award hours, if any, as a course award.
Issue and award are idempotent (one certificate per course completion, one
award entry per course completion), so the check can run again whenever a
score or an attendance record arrives (`evaluate_course`).

A grade that drops below the pass mark, or absences that reach the void
threshold, after issue revoke the certificate with the reason and reverse the
course award; nothing is deleted. A revocation is final for that course
completion: passing again later does not issue a second certificate and
posts nothing again (a district admin's reversal for cheating must not be
undone by a later score entry). A certificate revoked by a mistaken score
is therefore a matter for the district office, which can post a manual
adjustment.

Credit policy (CoursePage.credit_policy, recorded on each ModuleCompletion
as `hours_on_pass`): under "hours when the course is passed" module
completions post nothing; passing posts the held module hours, the award
and the certificate in one transaction, exactly once; failing posts
nothing (the hours stay pending, 待考核, and post if a corrected grade
passes before any revocation); a revocation (a grade dropping below the
pass mark, absences reaching the void threshold, or a district admin
reversing one of the course's entries) reverses the award and every module
entry the pass posted. After a revocation the course's hours never post
again, as the certificate is never issued again.

The certificate's PDF is rendered once, after the issuing transaction
commits, and kept in private storage with its SHA-256 (`store_pdf`).
"""

import hashlib
import logging
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from django.conf import settings as django_settings
from django.core.files.base import ContentFile
from django.db import IntegrityError, transaction
from django.db.models import Sum
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from shixun.accounts.actors import acting_for, recorded_person
from shixun.accounts.people import profile_of

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

logger = logging.getLogger(__name__)

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
    absent_days = 0
    if settings.void_at_absent_days is not None:
        from .absence import computed_absence_days

        computed = computed_absence_days(course_completion.course_id, [course_completion.user_id])
        if computed is not None:
            absent_days = computed.get(course_completion.user_id, 0)
        else:
            attendance = CourseAttendance.objects.filter(
                learner_id=course_completion.user_id, course_id=course_completion.course_id
            ).first()
            absent_days = attendance.absent_days if attendance else 0
    return course_result(
        components=components,
        scores=scores,
        pass_mark=settings.pass_mark,
        absent_days=absent_days,
        void_at_absent_days=settings.void_at_absent_days,
    )


def process_course_completion(course_completion_id: int, *, via: str = "task") -> Certificate | None:
    """Award and certify a completed course if it is passed; a no-op when already done or not (yet) passed."""
    from shixun.courses.models import CourseCompletion, ModuleCompletion

    from .ledger import post_entry, post_held_module_completions, post_module_completion

    completion = (
        CourseCompletion.objects.select_related("user__shixun_profile__district", "course")
        .filter(pk=course_completion_id)
        .first()
    )
    if completion is None:
        return None
    # The certificate states the hours on the ledger. The course's last module
    # completion is posted by its own task, which may not have run yet: post
    # the learner's pending module entries of this course first (idempotent),
    # so a certificate never states fewer hours than were earned. Completions
    # held for the pass ("hours when the course is passed") are not among
    # them: they post below, with the certificate, or never.
    pending = ModuleCompletion.objects.filter(
        user_id=completion.user_id, course_id=completion.course_id, ledger_entry__isnull=True, hours_on_pass=False
    ).values_list("pk", flat=True)
    for module_completion_id in pending:
        post_module_completion(module_completion_id, via=via)
    result = result_for(completion)
    if result.outcome != PASSED:
        return None  # failed, void or waiting for a grade: held hours stay unposted (pending)
    settings = CourseCreditSettings.objects.filter(course_id=completion.course_id).first()
    completed_on = timezone.localdate(completion.completed_at)
    with transaction.atomic():
        # One evaluation at a time per learner and course, whoever calls (the
        # course-completion task, a grade sheet save, the demo): the second
        # waits here, then sees the first one's certificate and entries.
        # evaluate_course already holds this lock; taking it again is free.
        CourseCompletion.objects.select_for_update().filter(pk=completion.pk).values_list("pk", flat=True).first()
        existing = Certificate.objects.filter(course_completion=completion).first()
        if existing is not None and not existing.is_valid:
            # Revocation is final: a later pass issues nothing and posts
            # nothing again (neither the award nor held module hours).
            return existing
        # "Hours when the course is passed": the modules' hours post now,
        # in the transaction that issues the certificate.
        post_held_module_completions(completion.user_id, completion.course_id, via=via)
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
        profile_of(learner).district.name if profile_of(learner).district_id else _("Shixun")
    )
    try:
        with transaction.atomic():
            certificate = Certificate.objects.create(
                learner=learner,
                course_id=completion.course_id,
                course_completion=completion,
                kind=completion.course.certificate_kind,
                course_title=completion.course.title,
                learner_name=profile_of(learner).display_name,
                hours=course_hours(learner.pk, completion.course_id),
                score=result.score,
                completed_on=timezone.localdate(completion.completed_at),
                issued_on=timezone.localdate(),
                issuer=issuer,
            )
            CreditAuditEvent.objects.create(
                action=AuditAction.CERTIFICATE_ISSUED, certificate=certificate, via=via, detail=certificate.code
            )
            # Rendering takes a good fraction of a second (CJK font, QR code):
            # never inside the transaction that issues, and never for a
            # certificate whose issue rolled back.
            transaction.on_commit(lambda: _enqueue_pdf(certificate.pk))
    except IntegrityError:
        # Another worker issued it first (unique per course completion).
        return Certificate.objects.get(course_completion=completion)
    return certificate


def issue_source_certificate(
    learner, *, source_kind: str, source_ref: str, title: str, hours, completed_on, issuer: str,
    kind: str = "credit_hours", via: str,
) -> Certificate:
    """Issue a certificate for something other than a course (a shadowing programme). Exactly once per source.

    `source_kind` + `source_ref` are those of the ledger entry that posted
    the hours, so reversing that entry revokes the certificate
    (revoke_certificates_for_entry). Call it inside the transaction that
    posts the hours: both commit or neither does. A second call for the same
    source returns the certificate already issued (valid or revoked — a
    revocation is final).
    """
    existing = Certificate.objects.filter(source_kind=source_kind, source_ref=source_ref).first()
    if existing is not None:
        return existing
    try:
        with transaction.atomic():
            certificate = Certificate.objects.create(
                learner=learner,
                source_kind=source_kind,
                source_ref=source_ref,
                kind=kind,
                course_title=title[:255],
                learner_name=profile_of(learner).display_name,
                hours=hours,
                completed_on=completed_on,
                issued_on=timezone.localdate(),
                issuer=issuer[:100],
            )
            CreditAuditEvent.objects.create(
                action=AuditAction.CERTIFICATE_ISSUED, certificate=certificate, via=via, detail=certificate.code
            )
            transaction.on_commit(lambda: _enqueue_pdf(certificate.pk))
    except IntegrityError:
        # Issued a moment ago by a concurrent caller (unique per source).
        return Certificate.objects.get(source_kind=source_kind, source_ref=source_ref)
    return certificate


def revoke_certificates_for_entry(entry: LedgerEntry, *, reason: str, actor) -> int:
    """Revoke the learner's certificates for the course the reversed entry counted towards,
    or the certificate issued for the entry's own source (a shadowing programme's)."""
    if entry.course_id is None:
        certificates = Certificate.objects.select_for_update().filter(
            learner_id=entry.learner_id, source_kind=entry.source_kind, source_ref=entry.source_ref,
            revoked_at__isnull=True,
        ).exclude(source_kind="")
        revoked = 0
        for certificate in certificates:
            certificate.revoked_at = timezone.now()
            certificate.revoked_reason = reason
            certificate.save(update_fields=["revoked_at", "revoked_reason"])
            CreditAuditEvent.objects.create(
                action=AuditAction.CERTIFICATE_REVOKED, certificate=certificate, entry=entry, actor=actor,
                via="admin", detail=reason,
            )
            revoked += 1
        return revoked
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
    if revoked:
        # Under "hours when the course is passed" the course's hours stand or
        # fall with the pass: revoking the certificate takes back the rest of
        # them (the award and the modules' hours posted by the pass).
        reverse_pass_hours(entry.learner_id, entry.course_id, reason=reason, person=actor)
    return revoked


def reverse_pass_hours(learner_id, course_id, *, reason: str, person) -> int:
    """Reverse the hours a pass posted under "hours when the course is passed". Returns how many entries.

    Only courses whose completions were held for the pass: there the award
    and the module entries released by the pass are reversed (reversal
    entries, nothing deleted). Under "hours per completed module" nothing is
    reversed here (the module hours were earned per module; the award is
    reversed by revoke_course_result, as before). Idempotent: an entry
    already reversed is skipped.
    """

    from .ledger import LedgerError, reverse_entry

    released = LedgerEntry.objects.filter(
        learner_id=learner_id,
        course_id=course_id,
        source_kind=SourceKind.MODULE_COMPLETION,
        module_completion__hours_on_pass=True,
    )
    if not released.exists():
        return 0
    if person is None:
        # A reversal needs a person (database constraint), as in revoke_course_result.
        logger.error("reverse_pass_hours: hours of course %s for learner %s not reversed: no actor", course_id,
                     learner_id)
        return 0
    entries = (
        LedgerEntry.objects.filter(learner_id=learner_id, course_id=course_id)
        .filter(_posted_by_pass())
        .select_related("learner")
        .order_by("pk")
    )
    count = 0
    for entry in entries:
        try:
            # The act that revoked (a permitted grade change or reversal) is
            # the permission; the reversals are recorded under its person.
            reverse_entry(entry, reason=reason, actor=acting_for(person))
            count += 1
        except LedgerError:
            pass  # reversed a moment ago by a concurrent revocation
    return count


def _posted_by_pass():
    """The entries a pass posted under "hours when the course is passed" and no reversal has taken back yet."""
    from django.db.models import Q

    return Q(reversal__isnull=True) & (
        Q(source_kind=SourceKind.COURSE_AWARD)
        | Q(source_kind=SourceKind.MODULE_COMPLETION, module_completion__hours_on_pass=True)
    )


def pass_posted_hours(course_id, learner_ids) -> dict[int, Decimal]:
    """{learner id: the hours reverse_pass_hours would reverse now} (one query): what a fail would take back."""
    rows = (
        LedgerEntry.objects.filter(course_id=course_id, learner_id__in=list(learner_ids))
        .filter(_posted_by_pass())
        .values_list("learner_id")
        .annotate(total=Sum("hours"))
        .order_by()
    )
    return {learner_id: total for learner_id, total in rows if total}


def validate_score(score) -> Decimal:
    try:
        score = Decimal(str(score).strip())
    except ArithmeticError as error:
        raise ValueError(_("A score must be a number between 0 and 100.")) from error
    if not score.is_finite() or not Decimal("0") <= score <= Decimal("100"):
        raise ValueError(_("A score must be between 0 and 100."))
    if score.as_tuple().exponent < -1:
        raise ValueError(_("A score can have at most one decimal place."))
    return score


def validate_absent_days(absent_days) -> int:
    text = str(absent_days).strip()
    if not text.isdigit() or int(text) > MAX_ABSENT_DAYS:
        raise ValueError(_("Days absent must be a whole number from 0 to %(max)s.") % {"max": MAX_ABSENT_DAYS})
    return int(text)


MAX_ABSENT_DAYS = 366


def record_component_score(learner, component, score, *, recorded_by=None, evaluate=True) -> ComponentScore:
    """Enter or correct one part of a learner's grade, then re-evaluate the course after commit.

    `evaluate=False` is for callers that save several values in one
    transaction and call `evaluate_course` themselves (the grade sheet).
    No permission check here: grades.save_changes is the checked entry point
    for people; this building block serves it and the demo seed.
    """
    score = validate_score(score)
    row, _created = ComponentScore.objects.update_or_create(
        learner=learner,
        component=component,
        defaults={"score": score, "recorded_by": recorded_by, "recorded_at": timezone.now()},
    )
    if evaluate:
        course_id = component.settings.course_id
        transaction.on_commit(lambda: evaluate_course(learner, course_id, actor=recorded_by, via="service"))
    return row


def record_attendance(learner, course, absent_days, *, recorded_by=None, evaluate=True) -> CourseAttendance:
    """Record a learner's days absent without leave for a course, then re-evaluate the course after commit."""
    absent_days = validate_absent_days(absent_days)
    row, _created = CourseAttendance.objects.update_or_create(
        learner=learner,
        course=course,
        defaults={"absent_days": absent_days, "recorded_by": recorded_by, "recorded_at": timezone.now()},
    )
    if evaluate:
        transaction.on_commit(lambda: evaluate_course(learner, course.pk, actor=recorded_by, via="service"))
    return row


def evaluate_course(learner, course_id, *, actor=None, via: str = "grades") -> CourseResult | None:
    """Bring a learner's certificate in line with their current grade and attendance. Idempotent.

    Not completed yet: nothing (the course-completion task certifies later).
    Passed: issue the certificate and award once. Failed or void: revoke a
    valid certificate with the reason and reverse the award. Pending
    (a component not scored): nothing changes.

    Two trainers saving at once: the learner's CourseCompletion row is locked
    for the rest of the caller's transaction, so the second evaluation waits
    and then reads the first one's scores (READ COMMITTED re-reads per
    statement); the unique certificate per completion is the last guard.
    """
    from shixun.courses.models import CourseCompletion

    with transaction.atomic():
        completion = (
            CourseCompletion.objects.select_for_update()
            .filter(user_id=learner.pk, course_id=course_id)
            .values_list("pk", flat=True)
            .first()
        )
        if completion is None:
            return None
        completions = CourseCompletion.objects.select_related("user__shixun_profile__district", "course")
        completion = completions.get(pk=completion)
        result = result_for(completion)
        if result.outcome == PASSED:
            process_course_completion(completion.pk, via=via)
        elif result.outcome in (FAILED, VOID):
            revoke_course_result(completion, reason=result.message, actor=actor, via=via)
        return result


def revoke_course_result(completion, *, reason: str, actor, via: str) -> Certificate | None:
    """The grade no longer passes: revoke the valid certificate and reverse the course award. Nothing is deleted."""
    from .ledger import LedgerError, reverse_entry

    certificate = (
        Certificate.objects.select_for_update().filter(course_completion=completion, revoked_at__isnull=True).first()
    )
    if certificate is None:
        return None
    certificate.revoked_at = timezone.now()
    certificate.revoked_reason = reason
    certificate.save(update_fields=["revoked_at", "revoked_reason"])
    CreditAuditEvent.objects.create(
        action=AuditAction.CERTIFICATE_REVOKED, certificate=certificate, actor=recorded_person(actor), via=via,
        detail=reason,
    )
    award = LedgerEntry.objects.filter(
        source_kind=SourceKind.COURSE_AWARD, course_completion=completion, reversal__isnull=True
    ).first()
    if award is not None:
        person = recorded_person(actor)
        if person is None:
            # A reversal needs a person (database constraint); every screen
            # that changes grades passes one. Say so loudly instead of guessing.
            logger.error("revoke_course_result: course award %s not reversed: no actor", award.pk)
        else:
            try:
                # The grade change was the permitted act (can_grade_course);
                # the reversal follows from it, recorded under the grader.
                reverse_entry(award, reason=reason, actor=acting_for(person))
            except LedgerError:
                pass  # reversed a moment ago by a concurrent revocation
    # "Hours when the course is passed": the modules' hours go with the pass.
    reverse_pass_hours(completion.user_id, completion.course_id, reason=reason, person=recorded_person(actor))
    return certificate


# --- Stored PDFs --------------------------------------------------------------------


def verify_url(certificate) -> str:
    """The absolute verification URL printed on the certificate (the site's address, not a request's)."""
    base = getattr(django_settings, "WAGTAILADMIN_BASE_URL", "") or ""
    return base.rstrip("/") + reverse("transcripts:verify", args=[certificate.code])


def _enqueue_pdf(certificate_id: int) -> None:
    from django_q.tasks import async_task

    async_task("shixun.transcripts.tasks.store_certificate_pdf", certificate_id)


def store_pdf(certificate: Certificate) -> Certificate:
    """Render the certificate's PDF once and keep it in private storage with its checksum. Idempotent.

    Two callers at once (the task and a first download) may both render; the
    conditional UPDATE lets one file win and the other is deleted again.
    """
    from . import pdf

    if certificate.pdf:
        return certificate
    body = pdf.render_certificate(certificate, verify_url(certificate))
    checksum = hashlib.sha256(body).hexdigest()
    storage = Certificate._meta.get_field("pdf").storage
    name = storage.save(f"certificates/{certificate.code}.pdf", ContentFile(body))
    won = Certificate.objects.filter(pk=certificate.pk, pdf="").update(pdf=name, pdf_sha256=checksum)
    if not won:
        storage.delete(name)
    certificate.refresh_from_db(fields=["pdf", "pdf_sha256"])
    return certificate


def stored_pdf_bytes(certificate: Certificate) -> bytes:
    """The stored PDF, rendered and stored first if missing; refuses a file that does not match its checksum."""
    certificate = store_pdf(certificate)
    with certificate.pdf.open("rb") as handle:
        body = handle.read()
    if hashlib.sha256(body).hexdigest() != certificate.pdf_sha256:
        raise CertificateFileCorrupt(certificate.code)
    return body


class CertificateFileCorrupt(Exception):
    """The stored PDF differs from what was issued (disk fault or tampering): never served."""


def forget_stored_pdfs(user) -> int:
    """For a person's erasure: delete their stored certificate PDFs (they print the real name).

    The certificate rows stay (they back the public verification); the next
    download renders a fresh PDF from the row, which then shows the pseudonym.
    Files go after the erasure commits, so a rolled-back erasure keeps them.
    Returns how many files will be deleted.
    """
    storage = Certificate._meta.get_field("pdf").storage
    certificates = Certificate.objects.filter(learner_id=user.pk).exclude(pdf="")
    names = list(certificates.values_list("pdf", flat=True))
    certificates.update(pdf="", pdf_sha256="")
    transaction.on_commit(lambda: [storage.delete(name) for name in names])
    return len(names)


def certificate_links(user, course_ids) -> dict:
    """The learner's valid certificates of these courses, with their download links (courses.certificate_links)."""
    from django.urls import reverse

    from shixun.courses.certificate_links import CertificateLink

    found = Certificate.objects.filter(learner=user, course_id__in=list(course_ids), revoked_at__isnull=True)
    return {
        c.course_id: CertificateLink(c.course_id, c.course_title, reverse("transcripts:certificate_pdf", args=[c.code]))
        for c in found.only("code", "course_id", "course_title").order_by("issued_on", "pk")
    }
