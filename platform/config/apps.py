from django.apps import AppConfig


class ConfigConfig(AppConfig):
    """Registers the project-wide system checks."""

    name = "shixun.config"
    label = "shixun_config"

    def ready(self) -> None:
        from . import checks  # noqa: F401
