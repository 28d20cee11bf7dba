from django.apps import AppConfig
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy as _


class TranscriptsConfig(AppConfig):
    name = "shixun.transcripts"
    label = "shixun_transcripts"
    verbose_name = _("Credit hours and transcripts")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        from django.db.backends.signals import connection_created

        from shixun.attendance.signals import attendance_changed
        from shixun.courses.certificate_links import register_certificate_provider
        from shixun.courses.hours import register_hours_provider, register_pending_hours_provider
        from shixun.courses.signals import course_completed, module_completed

        from . import receivers
        from .certificates import certificate_links
        from .guard import install_sqlite_function
        from .services import hours_earned_in_year, pending_hours_by_course

        # The learner dashboard's hours are the ledger's, like the transcript's.
        register_hours_provider(hours_earned_in_year)
        # Hours held until a course is passed (待考核), shown on the course page.
        register_pending_hours_provider(pending_hours_by_course)
        # The course page and the dashboard show the certificates this app issues.
        register_certificate_provider(certificate_links)
        connection_created.connect(install_sqlite_function, dispatch_uid="transcripts.sqlite_guard")
        module_completed.connect(receivers.enqueue_module_completion, dispatch_uid="transcripts.module_completed")
        course_completed.connect(receivers.enqueue_course_completion, dispatch_uid="transcripts.course_completed")
        # A mark or a leave decision after the course was completed can void (or restore) its certificate.
        attendance_changed.connect(receivers.reevaluate_attendance, dispatch_uid="transcripts.attendance_changed")
        post_migrate.connect(receivers.register_schedules, sender=self, dispatch_uid="transcripts.schedules")
        post_migrate.connect(receivers.grant_admin_permissions, sender=self, dispatch_uid="transcripts.permissions")
