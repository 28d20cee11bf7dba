"""Who may see H5P results.

Superusers see every learner's results. A trainer sees the results that
learners earned in the modules of courses they train (CoursePage.trainers),
and nothing else: a results row names a teacher, so it follows the course,
not the activity, which may be placed in several courses.
"""

from django.db.models import Q, QuerySet

from shixun.courses.models import CoursePage, ModulePage

from .models import H5PActivity, H5PResult, H5PStatement


def may_open_results(user) -> bool:
    return user.is_authenticated and user.is_active and (user.is_superuser or user.is_trainer)


def modules_visible_to(user) -> QuerySet[ModulePage] | None:
    """Modules whose learners' results the user may see; None means all."""
    if user.is_superuser:
        return None
    scope = Q(pk__in=[])
    for path, depth in CoursePage.objects.filter(trainers=user).values_list("path", "depth"):
        # Modules are the children of their course in the page tree.
        scope |= Q(path__startswith=path, depth=depth + 1)
    return ModulePage.objects.filter(scope)


def activities_visible_to(user) -> QuerySet[H5PActivity]:
    if not may_open_results(user):
        return H5PActivity.objects.none()
    modules = modules_visible_to(user)
    if modules is None:
        return H5PActivity.objects.all()
    return H5PActivity.objects.filter(
        pk__in=H5PStatement.objects.filter(module__in=modules).values("activity_id")
    )


def results_visible_to(user, activity: H5PActivity) -> QuerySet[H5PResult]:
    results = H5PResult.objects.filter(activity=activity).select_related("user", "user__school")
    if not may_open_results(user):
        return results.none()
    modules = modules_visible_to(user)
    if modules is None:
        return results
    learners = H5PStatement.objects.filter(activity=activity, module__in=modules).values("user_id")
    return results.filter(user_id__in=learners)
