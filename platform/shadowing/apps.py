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

        from django.db.models.signals import post_delete, post_migrate, post_save

        post_migrate.connect(register_schedules, sender=self, dispatch_uid="shixun_shadowing_schedules")

        from . import nav
        from .models import BaseSchool, Participant, Programme

        # Who sees 跟岗研修 in the header follows these rows (nav.py).
        for model in (Programme, BaseSchool, Participant):
            post_save.connect(nav.changed, sender=model, dispatch_uid=f"shadowing-nav-{model.__name__}")
            post_delete.connect(nav.changed, sender=model, dispatch_uid=f"shadowing-nav-del-{model.__name__}")


def register_schedules(**kwargs):
    """post_migrate only: the reminders and their rules are imported when migrate runs, not at every start-up."""
    from .reminders import register_schedules

    register_schedules(**kwargs)
