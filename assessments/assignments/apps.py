from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AssignmentsConfig(AppConfig):
    name = "assessments.assignments"
    label = "shixun_assignments"
    verbose_name = _("Assignments")
    default_auto_field = "django.db.models.BigAutoField"
