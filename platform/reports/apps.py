from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ReportsConfig(AppConfig):
    name = "shixun.reports"
    label = "shixun_reports"
    verbose_name = _("Annual training reports")
    default_auto_field = "django.db.models.BigAutoField"
