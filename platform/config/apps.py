from django.apps import AppConfig


class ConfigConfig(AppConfig):
    """Registers the project-wide system checks."""

    name = "config"
    label = "shixun_config"

    def ready(self) -> None:
        from django.db.models.signals import post_migrate

        from . import checks  # noqa: F401
        from .wagtail_tree import ensure_wagtail_tree

        post_migrate.connect(ensure_wagtail_tree, dispatch_uid="shixun_wagtail_tree")
