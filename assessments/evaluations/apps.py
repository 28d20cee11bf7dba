from django.apps import AppConfig
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy as _


def grant_role_permissions(**kwargs) -> None:
    """District admins keep their district's evaluation templates; trainers may choose one for a module."""
    from shixun.accounts.models import Role
    from shixun.accounts.roles import grant_model_permissions

    grant_model_permissions(
        "shixun_evaluations",
        {
            Role.DISTRICT_ADMIN: [
                "add_evaluationtemplate", "change_evaluationtemplate", "delete_evaluationtemplate",
                "view_evaluationtemplate",
            ],
            Role.TRAINER: ["view_evaluationtemplate"],
            Role.REVIEWER: ["view_evaluationtemplate"],
        },
    )


class EvaluationsConfig(AppConfig):
    name = "shixun.assessments.evaluations"
    label = "shixun_evaluations"
    verbose_name = _("Course evaluations")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        post_migrate.connect(
            grant_role_permissions, sender=self, dispatch_uid="shixun_evaluations_role_permissions"
        )
