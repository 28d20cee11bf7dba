"""Where each kind of user lands after logging in."""

from django.contrib.auth import get_user_model
from django.urls import NoReverseMatch, reverse

from shixun.config.reversing import reverser

from .people import profile_of

User = get_user_model()


def _first_reversible(*candidates: tuple[str, list], reverse=None) -> str:
    # Accounts can be installed without the apps that provide the richer
    # landing pages (courses' dashboard, schools' dashboards); the first URL
    # that exists wins. Reversed once per process (the header asks on every page).
    reverse = reverse or reverser()
    for name, args in candidates:
        try:
            return reverse(name, tuple(args))
        except NoReverseMatch:
            continue
    raise NoReverseMatch(f"none of {[name for name, _ in candidates]} is installed")


def role_home_url(user: User) -> str:
    if user.is_superuser:
        return reverse("wagtailadmin_home")
    if profile_of(user).is_district_admin:
        code = [profile_of(user).district.code]
        return _first_reversible(("schools:district_dashboard", code), ("accounts:district", code))
    if profile_of(user).is_school_admin:
        code = [profile_of(user).school.code]
        return _first_reversible(("schools:school_dashboard", code), ("accounts:school", code))
    if profile_of(user).is_trainer or profile_of(user).is_reviewer:
        return reverse("wagtailadmin_home")
    return learner_home_url()


def learner_home_url(reverse=None) -> str:
    """`reverse`: a shixun.config.reversing.reverser() the caller already has (the header's)."""
    return _first_reversible(("courses:dashboard", []), ("accounts:profile", []), reverse=reverse)


def ensure_role_groups(**kwargs) -> None:
    """Create the role groups and give the admin-side roles access to Wagtail's admin.

    Runs after every migrate (post_migrate), so a fresh database always has
    them; apps that give roles more rights (page permissions for trainers,
    workflow tasks for reviewers) add those in their own post_migrate step.
    """
    from django.contrib.auth.models import Group, Permission

    from .models import Role

    access_admin = Permission.objects.filter(
        content_type__app_label="wagtailadmin", codename="access_admin"
    ).first()
    for role in Role:
        group, _ = Group.objects.get_or_create(name=role.value)
        if access_admin and role in (Role.TRAINER, Role.REVIEWER, Role.DISTRICT_ADMIN):
            group.permissions.add(access_admin)


def grant_model_permissions(app_label: str, grants: dict) -> None:
    """Give role groups model permissions of one app, e.g. {Role.TRAINER: ["add_quiz", ...]}.

    Meant for post_migrate handlers. Django creates an app's permissions in
    its own post_migrate handler, which is connected after Shixun's apps
    (django.contrib.auth comes later in INSTALLED_APPS); on a fresh database
    they would not exist yet, so they are created here first (idempotent).
    """
    from django.apps import apps
    from django.contrib.auth.management import create_permissions
    from django.contrib.auth.models import Group, Permission
    from django.contrib.contenttypes.management import create_contenttypes

    app_config = apps.get_app_config(app_label)
    create_contenttypes(app_config, verbosity=0)
    create_permissions(app_config, verbosity=0)
    for role, codenames in grants.items():
        group, _created = Group.objects.get_or_create(name=role.value)
        group.permissions.add(
            *Permission.objects.filter(content_type__app_label=app_label, codename__in=codenames)
        )
