from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ShadowingConfig(AppConfig):
    name = "shixun.shadowing"
    label = "shixun_shadowing"
    verbose_name = _("Shadowing training")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        from .personal_data import register_all

        register_all()
