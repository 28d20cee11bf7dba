from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class TranscriptsConfig(AppConfig):
    name = "transcripts"
    label = "shixun_transcripts"
    verbose_name = _("Credit hours and transcripts")
    default_auto_field = "django.db.models.BigAutoField"
