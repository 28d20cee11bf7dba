"""Who may keep evaluation templates and who may see results (never who answered what: nobody)."""

from shixun.accounts.models import District
from shixun.accounts.people import profile_of


def _active(user) -> bool:
    return user.is_authenticated and user.is_active


def template_districts(user):
    """The districts whose evaluation templates the user keeps: a district admin's own; every one for a superuser."""
    if not _active(user):
        return District.objects.none()
    if user.is_superuser:
        return District.objects.all()
    profile = profile_of(user)
    if profile.is_district_admin:
        return District.objects.filter(pk=profile.district_id)
    return District.objects.none()


def may_keep_templates(user) -> bool:
    return _active(user) and (user.is_superuser or profile_of(user).is_district_admin)


def can_keep_template(user, template) -> bool:
    return template_districts(user).filter(pk=template.district_id).exists()


def can_see_results(user) -> bool:
    """District admins (their district's learners), trainers (their own courses) and superusers.

    School admins never: a school's few answers to a course could point at their teachers.
    """
    if not _active(user):
        return False
    profile = profile_of(user)
    return user.is_superuser or profile.is_district_admin or profile.is_trainer


def results_scope(user) -> dict:
    """The satisfaction() arguments that limit what this user sees: {'district': …} and/or {'courses': …}."""
    from shixun.courses.models import CoursePage

    if user.is_superuser:
        return {}
    profile = profile_of(user)
    if profile.is_district_admin:
        return {"district": profile.district}
    if profile.is_trainer:
        return {"courses": CoursePage.objects.filter(trainers=user).values("pk")}
    raise PermissionError("no results for this user")
