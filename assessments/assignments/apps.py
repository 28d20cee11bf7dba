from django.apps import AppConfig
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy as _


def grant_role_permissions(sender, **kwargs) -> None:
    """Trainers write assignments in the Wagtail admin; reviewers may look at them.

    Runs after every migrate (idempotent), like accounts.roles.ensure_role_groups.
    """
    from shixun.accounts.models import Role
    from shixun.accounts.roles import grant_model_permissions

    grant_model_permissions(
        "shixun_assignments",
        {
            Role.TRAINER: ["add_assignment", "change_assignment", "view_assignment"],
            Role.REVIEWER: ["view_assignment"],
        },
    )


class AssignmentsConfig(AppConfig):
    name = "shixun.assessments.assignments"
    label = "shixun_assignments"
    verbose_name = _("Assignments")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        post_migrate.connect(grant_role_permissions, sender=self, dispatch_uid="shixun_assignments_role_permissions")
