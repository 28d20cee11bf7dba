from django.apps import AppConfig


class ActivityKindAppConfig(AppConfig):
    """A throw-away activity kind, "checklist": installed by the test settings only.

    Everything it takes to add a kind is in this folder (models and migration,
    block, template, the kind's declaration in wagtail_hooks.py, its rows of
    the security matrix); nothing outside it names it. test_activity_kind.py
    proves the rest of Shixun picks it up.
    """

    name = "tests.activity_kind_app"
    label = "activity_kind_app"
    default_auto_field = "django.db.models.BigAutoField"
