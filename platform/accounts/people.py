"""The one way to read Shixun's data about a user: profile_of(user).

Works for any AUTH_USER_MODEL. A user without a profile row (a host site's
superuser, AnonymousUser) gets an empty, unsaved profile rather than an
exception, so role checks say False and names fall back to the username.
"""

from .models import Profile


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
