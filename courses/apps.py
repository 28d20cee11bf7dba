from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CoursesConfig(AppConfig):
    name = "courses"
    label = "shixun_courses"
    verbose_name = _("Courses")
    default_auto_field = "django.db.models.BigAutoField"
