from django.apps import AppConfig
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy as _


def grant_role_permissions(**kwargs) -> None:
    """Trainers upload and place H5P activities in the Wagtail admin; reviewers may look at them."""
    from shixun.accounts.models import Role
    from shixun.accounts.roles import grant_model_permissions

    grant_model_permissions(
        "shixun_h5p",
        {
            Role.TRAINER: ["add_h5pactivity", "change_h5pactivity", "view_h5pactivity"],
            Role.REVIEWER: ["view_h5pactivity"],
        },
    )


class H5PConfig(AppConfig):
    name = "shixun.assessments.h5p"
    label = "shixun_h5p"
    verbose_name = _("H5P activities")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        from . import checks  # noqa: F401 - registers the system checks

        post_migrate.connect(grant_role_permissions, sender=self, dispatch_uid="shixun_h5p_role_permissions")
