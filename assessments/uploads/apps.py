from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class UploadsConfig(AppConfig):
    """Upload validation has no models; it is an app so its translations load."""

    name = "shixun.assessments.uploads"
    label = "shixun_uploads"
    verbose_name = _("Upload checks")
