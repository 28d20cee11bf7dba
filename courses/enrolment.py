"""Enrolment: one function per state change, each checking its rule and writing its history.

Every change to a course's enrolments first locks the course row, so two
admins assigning at once, or an admin assigning while a teacher enrols, never
collide on the (learner, course) unique constraint and quotas cannot be
overrun. Lock order: course, then enrolment (progress writes lock only the
enrolment, so they never wait in the other order).

Refusals raise EnrolmentRefused with a message for the person who asked, in
their language; nothing is written when one is raised. A refused actor gets
EnrolmentNotPermitted (also an accounts.actors.NotPermitted); a caller with no
person behind it passes accounts.actors.SYSTEM as the actor to skip the check.
"""

from dataclasses import dataclass, field

from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from shixun.accounts.actors import NotPermitted, is_system, recorded_person, require
from shixun.accounts.people import profile_of
from shixun.config.compiled import CompiledValues, concrete_attnames
from shixun.inbox import notices

from .models import (
    ApplicationStatus,
    AssignmentRule,
    CoursePage,
    Enrolment,
    EnrolmentApplication,
    EnrolmentEvent,
    EnrolmentMode,
    EnrolmentSource,
)
from .permissions import (
    assignable_teachers,
    can_assign_courses,
    can_assign_to_district,
    can_assign_to_school,
    can_decide_at_district,
    can_decide_at_school,
    teachers,
)


class EnrolmentRefused(Exception):
    """A request the rules do not allow; `message` says why, for the person who asked."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


class EnrolmentNotPermitted(NotPermitted, EnrolmentRefused):
    """The actor may not make this change (the pages show it as a message like any refusal)."""


@dataclass
class AssignmentResult:
    enrolled: list = field(default_factory=list)  # newly enrolled or enrolled again
    already: list = field(default_factory=list)  # were enrolled already


def _lock_course(course: CoursePage) -> CoursePage:
    # of=("self",): lock the course row only, not Wagtail's page row that
    # editors write to.
    return CoursePage.objects.select_for_update(of=("self",)).get(pk=course.pk)


def _active_enrolment(user_id, course_id):
    return (
        Enrolment.objects.filter(user_id=user_id, course_id=course_id, status=Enrolment.Status.ACTIVE)
        .order_by("pk")[:1]
        .values(*concrete_attnames(Enrolment))
    )


# Read on every course and module page: compiled once per connection (shixun.config.compiled, issue 18).
_ACTIVE_ENROLMENT = CompiledValues(_active_enrolment, user_id=-2_073_180_201, course_id=-2_073_180_202)


def active_enrolment(user, course) -> Enrolment | None:
    if not getattr(user, "pk", None) or not course.pk:
        return None
    found = _ACTIVE_ENROLMENT.instances(Enrolment, user_id=user.pk, course_id=course.pk)
    return found[0] if found else None


def _enrol_locked(user, course, *, source, actor) -> tuple[Enrolment, bool]:
    """Enrol or re-enrol one learner; the caller holds the course lock. Returns (enrolment, changed)."""
    enrolment = Enrolment.objects.filter(user=user, course=course).first()
    now = timezone.now()
    if enrolment is None:
        enrolment = Enrolment.objects.create(user=user, course=course, source=source, enrolled_at=now)
        EnrolmentEvent.objects.create(
            enrolment=enrolment, action=EnrolmentEvent.Action.ENROLLED, source=source, actor=actor, at=now
        )
        return enrolment, True
    if enrolment.status == Enrolment.Status.ACTIVE:
        return enrolment, False
    # Enrolled again: the same row, so earlier progress and completions count.
    enrolment.status = Enrolment.Status.ACTIVE
    enrolment.source = source
    enrolment.withdrawn_at = None
    enrolment.save(update_fields=["status", "source", "withdrawn_at"])
    EnrolmentEvent.objects.create(
        enrolment=enrolment, action=EnrolmentEvent.Action.REENROLLED, source=source, actor=actor, at=now
    )
    return enrolment, True


def _check_course_open_for_enrolment(course) -> None:
    if not course.live:
        raise EnrolmentRefused(_("This course is not published."))
    if course.ends_on and course.ends_on < timezone.localdate():
        raise EnrolmentRefused(_("This course has ended."))


# --- Open courses ----------------------------------------------------------------


def enrol_self(user, course: CoursePage) -> Enrolment:
    """One click: a teacher enrols in an open course (again, if they had withdrawn)."""
    if course.enrolment_mode != EnrolmentMode.OPEN:
        raise EnrolmentRefused(_("You cannot enrol in this course yourself."))
    _check_course_open_for_enrolment(course)
    with transaction.atomic():
        course = _lock_course(course)
        enrolment, _changed = _enrol_locked(user, course, source=EnrolmentSource.SELF, actor=user)
    return enrolment


def can_withdraw(user, enrolment: Enrolment) -> bool:
    """A learner may leave a course they enrolled in themselves; assigned and approved places are the admins'."""
    if enrolment.status != Enrolment.Status.ACTIVE:
        return False
    if enrolment.user_id == user.pk:
        return enrolment.source == EnrolmentSource.SELF
    return can_assign_courses(user) and assignable_teachers(user).filter(pk=enrolment.user_id).exists()


def withdraw(enrolment: Enrolment, *, actor, reason: str = "") -> Enrolment:
    """Unenrol, keeping the row, the progress and the completions: the history stays."""
    require(
        actor, lambda user: can_withdraw(user, enrolment),
        _("You cannot withdraw from this course here. Ask your school admin."), error=EnrolmentNotPermitted,
    )
    with transaction.atomic():
        _lock_course(enrolment.course)
        enrolment = Enrolment.objects.select_for_update().get(pk=enrolment.pk)
        if enrolment.status == Enrolment.Status.WITHDRAWN:
            return enrolment
        enrolment.status = Enrolment.Status.WITHDRAWN
        enrolment.withdrawn_at = timezone.now()
        enrolment.save(update_fields=["status", "withdrawn_at"])
        EnrolmentEvent.objects.create(
            enrolment=enrolment, action=EnrolmentEvent.Action.WITHDRAWN, actor=recorded_person(actor),
            reason=reason[:300],
        )
    return enrolment


# --- Assigned courses --------------------------------------------------------------


def _enrol_many(course, people, *, actor, source=EnrolmentSource.ASSIGNED) -> AssignmentResult:
    result = AssignmentResult()
    _check_course_open_for_enrolment(course)
    with transaction.atomic():
        course = _lock_course(course)
        for person in people:
            enrolment, changed = _enrol_locked(person, course, source=source, actor=recorded_person(actor))
            (result.enrolled if changed else result.already).append(enrolment)
    return result


def assign_to_teachers(actor, course: CoursePage, people) -> AssignmentResult:
    """An admin assigns a course to chosen teachers of their own school or district."""
    require(actor, can_assign_courses, _("Only school and district admins can assign courses."),
            error=EnrolmentNotPermitted)
    people = list(people)
    if not people:
        raise EnrolmentRefused(_("Choose at least one teacher."))
    if not is_system(actor):
        allowed = set(assignable_teachers(actor).filter(pk__in=[p.pk for p in people]).values_list("pk", flat=True))
        if any(p.pk not in allowed for p in people):
            raise EnrolmentNotPermitted(
                _("You can only assign courses to teachers of your own school or district.")
            )
    return _enrol_many(course, people, actor=actor)


def teachers_for_rule(rule: AssignmentRule):
    people = teachers()
    if rule.school_id:
        people = people.filter(shixun_profile__school_id=rule.school_id)
    else:
        people = people.filter(shixun_profile__district_id=rule.district_id)
    if rule.category_id:
        people = people.filter(shixun_profile__categories=rule.category_id)
    return people.order_by("pk")


def assign_to_group(
    actor, course: CoursePage, *, school=None, district=None, category=None, include_future=False
) -> tuple[AssignmentRule, AssignmentResult]:
    """Assign a course to a whole school or district, or one teacher category within it.

    The rule is kept; with `include_future` it also enrols teachers added
    later (see apply_standing_assignments).
    """
    if (school is None) == (district is None):
        raise EnrolmentRefused(_("Choose a school or a district."))
    if school is not None:
        require(actor, lambda user: can_assign_to_school(user, school),
                _("You can only assign courses to your own school."), error=EnrolmentNotPermitted)
    if district is not None:
        require(actor, lambda user: can_assign_to_district(user, district),
                _("You can only assign courses to your own district."), error=EnrolmentNotPermitted)
    with transaction.atomic():
        rule = AssignmentRule.objects.create(
            course=course, school=school, district=district, category=category,
            include_future=include_future, created_by=recorded_person(actor),
        )
        result = _enrol_many(course, list(teachers_for_rule(rule)), actor=actor)
    return rule, result


def apply_standing_assignments(user) -> list[Enrolment]:
    """Enrol a (new or changed) teacher in every course a standing rule assigns to them.

    Called when a teacher is created or imported, or their school or categories
    change (courses.receivers wires it to post_save and m2m_changed; the roster
    import may call it directly). Idempotent, and it never touches an existing
    enrolment: a teacher an admin withdrew stays withdrawn.
    """
    profile = profile_of(user)
    if profile.school_id is None or not teachers().filter(pk=user.pk).exists():
        return []
    category_ids = set(profile.categories.values_list("pk", flat=True))
    rules = (
        AssignmentRule.objects.filter(active=True, include_future=True, course__live=True)
        .filter(Q(school_id=profile.school_id) | Q(district_id=profile.district_id))
        .exclude(course__enrolments__user=user)
        .select_related("course")
        .order_by("pk")
    )
    enrolled = []
    for rule in rules:
        if rule.category_id and rule.category_id not in category_ids:
            continue
        with transaction.atomic():
            course = _lock_course(rule.course)
            if Enrolment.objects.filter(user=user, course=course).exists():
                continue
            enrolment, _changed = _enrol_locked(user, course, source=EnrolmentSource.ASSIGNED, actor=rule.created_by)
        enrolled.append(enrolment)
    return enrolled


# --- Courses by application (申请 → 推荐 → 审核) ------------------------------------------


def live_application(user, course) -> EnrolmentApplication | None:
    return (
        EnrolmentApplication.objects.filter(user=user, course=course)
        .exclude(status__in=[ApplicationStatus.WITHDRAWN])
        .order_by("-submitted_at", "-pk")
        .first()
    )


def apply(user, course: CoursePage, motivation: str = "") -> EnrolmentApplication:
    if course.enrolment_mode != EnrolmentMode.APPLICATION:
        raise EnrolmentRefused(_("This course does not take applications."))
    if profile_of(user).school_id is None:
        raise EnrolmentRefused(_("Only teachers of a school can apply: ask an admin to add you to your school."))
    _check_course_open_for_enrolment(course)
    with transaction.atomic():
        course = _lock_course(course)
        if active_enrolment(user, course):
            raise EnrolmentRefused(_("You are already enrolled in this course."))
        pending = EnrolmentApplication.objects.filter(
            user=user, course=course, status__in=[ApplicationStatus.SUBMITTED, ApplicationStatus.RECOMMENDED]
        )
        if pending.exists():
            raise EnrolmentRefused(_("You have already applied for this course."))
        # An approved application of a teacher who later left the course is history now.
        EnrolmentApplication.objects.filter(user=user, course=course, status=ApplicationStatus.APPROVED).update(
            status=ApplicationStatus.WITHDRAWN
        )
        return EnrolmentApplication.objects.create(
            user=user, course=course, school_id=profile_of(user).school_id, motivation=motivation.strip()[:500]
        )


def withdraw_application(user, application: EnrolmentApplication) -> EnrolmentApplication:
    if application.user_id != user.pk:
        raise EnrolmentNotPermitted(_("This is not your application."))
    with transaction.atomic():
        application = EnrolmentApplication.objects.select_for_update().get(pk=application.pk)
        if not application.is_open:
            raise EnrolmentRefused(_("This application has already been decided."))
        application.status = ApplicationStatus.WITHDRAWN
        application.save(update_fields=["status"])
    return application


def places_taken(course, school_id) -> int:
    """Places a school has used: applications recommended (waiting for the district) or approved."""
    return EnrolmentApplication.objects.filter(
        course=course, school_id=school_id, status__in=[ApplicationStatus.RECOMMENDED, ApplicationStatus.APPROVED]
    ).count()


def places_left(course, school_id) -> int | None:
    if course.application_quota_per_school is None:
        return None
    return max(course.application_quota_per_school - places_taken(course, school_id), 0)


def _locked_application(application, expected_status) -> EnrolmentApplication:
    application = EnrolmentApplication.objects.select_for_update().select_related("school").get(pk=application.pk)
    if application.status != expected_status:
        raise EnrolmentRefused(_("This application has already been decided or withdrawn."))
    return application


def _require_reason(reason: str) -> str:
    reason = (reason or "").strip()
    if not reason:
        raise EnrolmentRefused(_("Give a reason so the teacher knows why."))
    return reason[:500]


def recommend(actor, application: EnrolmentApplication) -> EnrolmentApplication:
    """The school recommends an applicant (推荐), within the course's places per school."""
    require(actor, lambda user: can_decide_at_school(user, application),
            _("Only the admin of the teacher's school can recommend this application."), error=EnrolmentNotPermitted)
    with transaction.atomic():
        course = _lock_course(application.course)
        application = _locked_application(application, ApplicationStatus.SUBMITTED)
        left = places_left(course, application.school_id)
        if left is not None and left <= 0:
            raise EnrolmentRefused(
                _("Your school has used all %(quota)s places for this course.")
                % {"quota": course.application_quota_per_school}
            )
        application.status = ApplicationStatus.RECOMMENDED
        application.school_decided_by = recorded_person(actor)
        application.school_decided_at = timezone.now()
        application.save(update_fields=["status", "school_decided_by", "school_decided_at"])
        notices.application_recommended(application)
    return application


def refuse_at_school(actor, application: EnrolmentApplication, reason: str) -> EnrolmentApplication:
    require(actor, lambda user: can_decide_at_school(user, application),
            _("Only the admin of the teacher's school can decide on this application."), error=EnrolmentNotPermitted)
    reason = _require_reason(reason)
    with transaction.atomic():
        application = _locked_application(application, ApplicationStatus.SUBMITTED)
        application.status = ApplicationStatus.REFUSED_BY_SCHOOL
        application.refusal_reason = reason
        application.school_decided_by = recorded_person(actor)
        application.school_decided_at = timezone.now()
        application.save(update_fields=["status", "refusal_reason", "school_decided_by", "school_decided_at"])
        notices.application_refused(application)
    return application


def approve(actor, application: EnrolmentApplication) -> Enrolment:
    """The district approves (审核通过): the teacher is enrolled."""
    require(actor, lambda user: can_decide_at_district(user, application),
            _("Only the admin of the teacher's district can approve this application."), error=EnrolmentNotPermitted)
    with transaction.atomic():
        course = _lock_course(application.course)
        application = _locked_application(application, ApplicationStatus.RECOMMENDED)
        application.status = ApplicationStatus.APPROVED
        application.district_decided_by = recorded_person(actor)
        application.district_decided_at = timezone.now()
        application.save(update_fields=["status", "district_decided_by", "district_decided_at"])
        enrolment, _changed = _enrol_locked(
            application.user, course, source=EnrolmentSource.APPLICATION, actor=recorded_person(actor)
        )
        notices.application_approved(application)
    return enrolment


def refuse_at_district(actor, application: EnrolmentApplication, reason: str) -> EnrolmentApplication:
    require(actor, lambda user: can_decide_at_district(user, application),
            _("Only the admin of the teacher's district can decide on this application."), error=EnrolmentNotPermitted)
    reason = _require_reason(reason)
    with transaction.atomic():
        application = _locked_application(application, ApplicationStatus.RECOMMENDED)
        application.status = ApplicationStatus.REFUSED_BY_DISTRICT
        application.refusal_reason = reason
        application.district_decided_by = recorded_person(actor)
        application.district_decided_at = timezone.now()
        application.save(update_fields=["status", "refusal_reason", "district_decided_by", "district_decided_at"])
        notices.application_refused(application)
    return application
