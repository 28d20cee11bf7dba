"""The one way to read Shixun's data about a user: profile_of(user).

Works for any AUTH_USER_MODEL. A user without a profile row (a host site's
superuser, AnonymousUser) gets an empty, unsaved profile rather than an
exception, so role checks say False and names fall back to the username.
"""

from django.contrib.auth import get_user_model
from django.db.models import Exists, OuterRef, Q, QuerySet

from shixun.config.compiled import CompiledValues, concrete_attnames

from .models import Profile, Role, School


def profile_of(user) -> Profile:
    if user is None or not getattr(user, "pk", None):
        return Profile()
    try:
        # Free when the user row was loaded with select_related("shixun_profile").
        return user.shixun_profile
    except Profile.DoesNotExist:
        profile = Profile(user=user)
        # Remember the empty profile on the user object, so asking again costs nothing.
        Profile.user.field.remote_field.set_cached_value(user, profile)
        return profile


# A school by its id, compiled once per connection (shixun.config.compiled): the one read a learner's own
# transcript made of their profile's school, built by the ORM on every view (issue 18).
_SCHOOL = CompiledValues(lambda pk: School.objects.filter(pk=pk).values(*concrete_attnames(School)), pk=-2_073_180_404)


def load_school(profile: Profile) -> None:
    """Give `profile` its school, if it has one not yet loaded: one compiled read (None if it is gone)."""
    field = Profile._meta.get_field("school")
    if profile.school_id is None or field.is_cached(profile):
        return
    found = _SCHOOL.instances(School, pk=profile.school_id)
    if found:
        field.set_cached_value(profile, found[0])


def teachers() -> QuerySet:
    """The people who count as teachers: active, in a school, and either without a staff role or
    marked as also teaching (a school admin who has classes). Dashboards, exports, reminders and
    course assignment all count from here, so a school admin is never a teacher in one place and
    not in another."""
    User = get_user_model()
    has_staff_role = User.objects.filter(pk=OuterRef("pk"), groups__name__in=Role.values)
    return User.objects.filter(is_active=True, shixun_profile__school__isnull=False).filter(
        Q(shixun_profile__also_teaches=True) | ~Exists(has_staff_role)
    )
