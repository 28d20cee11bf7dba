from django.apps import AppConfig
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy as _


class QuizzesConfig(AppConfig):
    name = "shixun.assessments.quizzes"
    label = "shixun_quizzes"
    verbose_name = _("Quizzes")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        from .roles import grant_quiz_permissions

        post_migrate.connect(grant_quiz_permissions, sender=self)
