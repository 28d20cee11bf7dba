from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CoursesConfig(AppConfig):
    name = "shixun.courses"
    label = "shixun_courses"
    verbose_name = _("Courses")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from django.db.models.signals import post_migrate

        from . import receivers  # noqa: F401
        from .moderation import ensure_course_moderation

        # Like accounts' role groups: connected without a sender so it runs
        # after wagtail's own post_migrate has created its permissions.
        post_migrate.connect(ensure_course_moderation, dispatch_uid="shixun_courses_moderation")
