"""Who may see and administer what in courses; the one place these rules live.

Builds on accounts.permissions: a school admin acts for the teachers of their
own school, a district admin for their own district, the superuser for all.
"""

from django.contrib.auth import get_user_model
from django.db.models import Q, QuerySet

from shixun.accounts.people import profile_of
from shixun.accounts.people import teachers as people_teachers
from shixun.accounts.permissions import (
    can_administer_district,
    can_administer_school,
    people_visible_to,
    schools_visible_to,
)

from .models import ApplicationStatus, AssignmentRule, EnrolmentApplication

User = get_user_model()


def _active(user) -> bool:
    return bool(user and user.is_authenticated and user.is_active)


def is_course_staff(user, course) -> bool:
    """Trainers of this course, reviewers and superusers see every module without enrolling."""
    if not _active(user):
        return False
    if user.is_superuser or profile_of(user).is_reviewer:
        return True
    return profile_of(user).is_trainer and course.trainers.filter(pk=user.pk).exists()


def can_view_module_content(user, course, *, enrolled: bool) -> bool:
    return _active(user) and (enrolled or is_course_staff(user, course))


def can_assign_courses(user) -> bool:
    profile = profile_of(user)
    return _active(user) and (user.is_superuser or profile.is_school_admin or profile.is_district_admin)


def teachers() -> QuerySet[User]:
    """The people courses are assigned to: accounts.people.teachers (staff only when they also teach)."""
    return people_teachers()


def assignable_teachers(actor) -> QuerySet[User]:
    """The teachers an admin may assign a course to: their own school's or district's."""
    if not can_assign_courses(actor):
        return User.objects.none()
    return teachers().filter(pk__in=people_visible_to(actor).values("pk")).exclude(pk=actor.pk)


def can_assign_to_school(actor, school) -> bool:
    return can_assign_courses(actor) and can_administer_school(actor, school)


def can_assign_to_district(actor, district) -> bool:
    return can_assign_courses(actor) and can_administer_district(actor, district)


def assignment_rules_visible_to(actor, rules: QuerySet[AssignmentRule]) -> QuerySet[AssignmentRule]:
    """The standing assignments an admin sees: those for schools they see, and their own district's."""
    if not can_assign_courses(actor):
        return rules.none()
    if actor.is_superuser:
        return rules
    scope = Q(school__in=schools_visible_to(actor))
    if profile_of(actor).is_district_admin:
        scope |= Q(district_id=profile_of(actor).district_id)
    return rules.filter(scope)


def can_decide_at_school(actor, application: EnrolmentApplication) -> bool:
    """The school step (推荐) belongs to the admin of the applicant's school."""
    if not _active(actor):
        return False
    profile = profile_of(actor)
    return actor.is_superuser or (profile.is_school_admin and profile.school_id == application.school_id)


def can_decide_at_district(actor, application: EnrolmentApplication) -> bool:
    """The district step (审核) belongs to the admin of the district the applicant's school is in."""
    if not _active(actor):
        return False
    profile = profile_of(actor)
    return actor.is_superuser or (profile.is_district_admin and profile.district_id == application.school.district_id)


def applications_to_decide(actor) -> QuerySet[EnrolmentApplication]:
    """Applications waiting for this admin: their school's new ones, their district's recommended ones."""
    applications = EnrolmentApplication.objects.select_related("user", "school", "course")
    if not _active(actor):
        return applications.none()
    if actor.is_superuser:
        return applications.filter(status__in=[ApplicationStatus.SUBMITTED, ApplicationStatus.RECOMMENDED])
    scope = Q(pk__in=[])
    if profile_of(actor).is_school_admin:
        scope |= Q(school_id=profile_of(actor).school_id, status=ApplicationStatus.SUBMITTED)
    if profile_of(actor).is_district_admin:
        scope |= Q(school__district_id=profile_of(actor).district_id, status=ApplicationStatus.RECOMMENDED)
    return applications.filter(scope)


def applications_visible_to(actor) -> QuerySet[EnrolmentApplication]:
    """Every application (history included) an admin may look at: their school's or district's."""
    applications = EnrolmentApplication.objects.select_related("user", "school", "course")
    if not _active(actor):
        return applications.none()
    if actor.is_superuser:
        return applications
    scope = Q(pk__in=[])
    if profile_of(actor).is_school_admin:
        scope |= Q(school_id=profile_of(actor).school_id)
    if profile_of(actor).is_district_admin:
        scope |= Q(school__district_id=profile_of(actor).district_id)
    return applications.filter(scope)
