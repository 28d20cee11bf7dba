from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SchoolsConfig(AppConfig):
    name = "schools"
    label = "shixun_schools"
    verbose_name = _("School and district administration")
    default_auto_field = "django.db.models.BigAutoField"
