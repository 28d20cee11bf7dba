from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AttendanceConfig(AppConfig):
    name = "shixun.attendance"
    label = "shixun_attendance"
    verbose_name = _("Attendance")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        from django.db.models.signals import post_migrate

        from .tasks import register_schedule

        post_migrate.connect(grant_admin_permissions, sender=self, dispatch_uid="attendance.permissions")
        post_migrate.connect(register_schedule, sender=self, dispatch_uid="attendance.reminder_schedule")


def grant_admin_permissions(**kwargs):
    """Trainers schedule their courses' sessions in the Wagtail admin too (scoped to their courses there)."""
    from shixun.accounts.models import Role
    from shixun.accounts.roles import grant_model_permissions

    codenames = ["add_session", "change_session", "delete_session", "view_session"]
    grant_model_permissions("shixun_attendance", {Role.TRAINER: codenames})
