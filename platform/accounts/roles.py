"""Where each kind of user lands after logging in."""

from django.urls import NoReverseMatch, reverse

from .models import User


def role_home_url(user: User) -> str:
    if user.is_superuser:
        return reverse("wagtailadmin_home")
    if user.is_district_admin:
        return reverse("accounts:district", args=[user.district.code])
    if user.is_school_admin:
        return reverse("accounts:school", args=[user.school.code])
    if user.is_trainer or user.is_reviewer:
        return reverse("wagtailadmin_home")
    return learner_home_url()


def learner_home_url() -> str:
    # The learner dashboard belongs to the courses app; a site that installs
    # accounts without courses still gets a sensible home.
    try:
        return reverse("courses:dashboard")
    except NoReverseMatch:
        return reverse("accounts:profile")


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
