"""What the admin-side roles may do with the question bank and quizzes (run after every migrate)."""

from shixun.accounts.models import Role

EDITABLE_MODELS = ("question", "questioncategory", "quiz")


def grant_quiz_permissions(**kwargs) -> None:
    """Trainers write questions and quizzes; course reviewers may look at them.

    Results and grading are not model permissions: they are checked per course
    in permissions.py (a trainer grades only the courses they train).
    """
    from django.apps import apps
    from django.contrib.auth.management import create_permissions
    from django.contrib.auth.models import Group, Permission
    from django.contrib.contenttypes.management import create_contenttypes

    # post_migrate reaches this app before django.contrib.auth has created its
    # permissions (auth is later in INSTALLED_APPS): create them first (idempotent).
    app_config = apps.get_app_config("shixun_quizzes")
    create_contenttypes(app_config, verbosity=0)
    create_permissions(app_config, verbosity=0)
    permissions = Permission.objects.filter(
        content_type__app_label="shixun_quizzes", content_type__model__in=EDITABLE_MODELS
    )
    trainers, _ = Group.objects.get_or_create(name=Role.TRAINER.value)
    trainers.permissions.add(*permissions)
    reviewers, _ = Group.objects.get_or_create(name=Role.REVIEWER.value)
    reviewers.permissions.add(*[p for p in permissions if p.codename.startswith("view_")])
