"""Who may see and change credit records, on top of accounts.permissions."""

from shixun.accounts.permissions import can_view_person


def can_view_transcript(viewer, learner) -> bool:
    """Oneself, a school admin for their school's teachers, a district admin for their district."""
    return can_view_person(viewer, learner)


def can_reverse_credit(viewer, learner) -> bool:
    """The district's training office keeps the credit records: district admins (and superusers) only."""
    if not viewer.is_authenticated or not viewer.is_active or viewer.pk == learner.pk:
        return viewer.is_authenticated and viewer.is_active and viewer.is_superuser
    if viewer.is_superuser:
        return True
    return viewer.is_district_admin and learner.district_id == viewer.district_id


def can_manage_rules(viewer, district) -> bool:
    if not viewer.is_authenticated or not viewer.is_active:
        return False
    return viewer.is_superuser or (viewer.is_district_admin and viewer.district_id == district.pk)


def rule_is_visible_to(viewer, rule) -> bool:
    """Another district's requirement rule does not exist for a viewer (superusers see every district's)."""
    return viewer.is_superuser or rule.district_id == viewer.district_id


def may_open_grades(viewer) -> bool:
    """Whether the grades pages are worth showing at all (each course then checks can_grade_course)."""
    if not viewer.is_authenticated or not viewer.is_active:
        return False
    return viewer.is_superuser or viewer.is_trainer


def can_grade_course(viewer, course) -> bool:
    """The course's own trainers (and superusers) enter its grades and configure its grading.

    Reviewers see every course but do not grade: a grade decides a certificate.
    """
    if not viewer.is_authenticated or not viewer.is_active:
        return False
    if viewer.is_superuser:
        return True
    return viewer.is_trainer and course.trainers.filter(pk=viewer.pk).exists()


def courses_graded_by(viewer):
    """The courses whose grades and grading settings this user may change."""
    from shixun.courses.models import CoursePage

    courses = CoursePage.objects.all()
    if not viewer.is_authenticated or not viewer.is_active:
        return courses.none()
    if viewer.is_superuser:
        return courses
    if not viewer.is_trainer:
        return courses.none()
    return courses.filter(trainers=viewer)


def can_adjust_credit(viewer, learner) -> bool:
    """Manual adjustments are kept by the same people who may reverse entries (the district's training office)."""
    return can_reverse_credit(viewer, learner)
