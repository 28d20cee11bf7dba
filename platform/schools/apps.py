from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SchoolsConfig(AppConfig):
    name = "shixun.schools"
    label = "shixun_schools"
    verbose_name = _("School and district administration")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        from django.db.models.signals import post_migrate, pre_save

        from shixun.accounts.models import School

        from . import personal_data_registrations  # noqa: F401  (registers the exporters and erasers)
        from .codes import refuse_reserved_codes, validate_school_code

        post_migrate.connect(register_schedules, sender=self, dispatch_uid="shixun_schools_schedules")
        post_migrate.connect(register_export_schedule, sender=self, dispatch_uid="shixun_schools_export_schedule")
        if validate_school_code not in School.code_checks:
            School.code_checks.append(validate_school_code)  # form errors in the admin's school forms
        pre_save.connect(refuse_reserved_codes, sender=School, dispatch_uid="shixun_schools_reserved_codes")


# post_migrate only: the modules are imported when migrate runs, not by every process's start-up (the
# reminders pull the inbox and first-login code; bench/ANALYSIS.md, issue 18, the export's first byte).
def register_schedules(**kwargs):
    from .reminders import register_schedules

    register_schedules(**kwargs)


def register_export_schedule(**kwargs):
    from .jobs import register_schedule

    register_schedule(**kwargs)
