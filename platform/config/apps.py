from django.apps import AppConfig


class ConfigConfig(AppConfig):
    """Registers the project-wide system checks, and the search index's clean-up after migrate."""

    name = "shixun.config"
    label = "shixun_config"

    def ready(self) -> None:
        from django.db.models.signals import post_migrate

        from . import checks  # noqa: F401
        from .search import forget_entries_of_unindexed_models

        post_migrate.connect(forget_entries_of_unindexed_models, dispatch_uid="shixun_forget_unindexed_entries")
