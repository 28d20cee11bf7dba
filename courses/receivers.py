"""Signal receivers of the courses app (connected in CoursesConfig.ready).

The search text is refreshed in the same transaction as the page change, so
the catalogue never disagrees with what is published.
"""

from django.db.models.signals import m2m_changed, post_delete, post_migrate, post_save
from django.dispatch import receiver
from wagtail.models import PageViewRestriction
from wagtail.signals import page_published, page_unpublished, post_page_move

from shixun.accounts.models import User

from .models import AssignmentRule, CataloguePage, ModulePage


def _standing_rules_exist() -> bool:
    return AssignmentRule.objects.filter(active=True, include_future=True).exists()


@receiver(post_save, sender=User, dispatch_uid="shixun_courses_new_teacher")
def enrol_new_teacher(sender, instance, created, update_fields=None, raw=False, **kwargs):
    """Teachers created later (or moved to another school) get the courses their school's standing rules assign."""
    if raw or instance.school_id is None:
        return
    if update_fields is not None and not {"school", "district", "is_active"} & set(update_fields):
        return  # e.g. last_login on every login: nothing that changes assignment
    if _standing_rules_exist():
        from .enrolment import apply_standing_assignments

        apply_standing_assignments(instance)


@receiver(m2m_changed, sender=User.categories.through, dispatch_uid="shixun_courses_teacher_categories")
def enrol_teacher_in_new_category(sender, instance, action, reverse, **kwargs):
    # Categories are set after the user row is saved (roster import, admin
    # form), so a category rule ("every new teacher") is applied here.
    if action != "post_add" or reverse or not isinstance(instance, User) or instance.school_id is None:
        return
    if _standing_rules_exist():
        from .enrolment import apply_standing_assignments

        apply_standing_assignments(instance)


def _refresh_parent_course(module_page) -> None:
    from .search import refresh_course_search_text

    parent = module_page.get_parent()
    if parent is not None:
        refresh_course_search_text(parent.pk)


@receiver(page_published, sender=ModulePage, dispatch_uid="shixun_courses_module_published")
@receiver(page_unpublished, sender=ModulePage, dispatch_uid="shixun_courses_module_unpublished")
def module_changed(sender, instance, **kwargs):
    _refresh_parent_course(instance)


@receiver(post_page_move, dispatch_uid="shixun_courses_module_moved")
def module_moved(sender, instance, parent_page_before=None, parent_page_after=None, **kwargs):
    from .models import CoursePage
    from .search import refresh_course_search_text

    if not isinstance(instance.specific, ModulePage):
        return
    for parent in (parent_page_before, parent_page_after):
        if parent is not None and CoursePage.objects.filter(pk=parent.pk).exists():
            refresh_course_search_text(parent.pk)


@receiver(post_delete, sender=ModulePage, dispatch_uid="shixun_courses_module_deleted")
def module_deleted(sender, instance, **kwargs):
    from .models import CoursePage
    from .search import refresh_course_search_text

    # The page is gone from the tree: find the course from the path prefix.
    course = CoursePage.objects.filter(path=instance.path[: -instance.steplen]).only("pk").first()
    if course is not None:
        refresh_course_search_text(course.pk)


@receiver(post_save, sender=CataloguePage, dispatch_uid="shixun_courses_catalogue_moderation")
def put_new_catalogue_under_review(sender, instance, created, raw=False, **kwargs):
    if created and not raw:
        from .moderation import configure_catalogue

        configure_catalogue(instance)


@receiver(post_save, sender=PageViewRestriction, dispatch_uid="shixun_courses_view_restriction_saved")
@receiver(post_delete, sender=PageViewRestriction, dispatch_uid="shixun_courses_view_restriction_deleted")
def view_restrictions_changed(sender, **kwargs):
    # Raw saves (loaddata) forget too: a loaded restriction must be enforced at once,
    # and forgetting writes nothing to the database.
    from .page_cache import forget_view_restrictions

    forget_view_restrictions()


@receiver(post_migrate, dispatch_uid="shixun_courses_view_restrictions_migrated")
def view_restrictions_after_migrate(sender, **kwargs):
    # Also sent after a flush (transactional test cases), which deletes rows without signals.
    from .page_cache import forget_view_restrictions

    forget_view_restrictions()
