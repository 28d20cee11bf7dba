"""Log in with a username or a staff number (工号); optional for a host site.

Teachers know their staff number better than a made-up username. A staff
number (kept on the teacher's accounts.Profile) is unique only within a
district, so the same number can belong to two people in different districts:
the password decides, and if it fits more than one of them nobody is logged
in (the user is asked for their username).

Works with any AUTH_USER_MODEL. Its get_user also loads the profile with the
user, so reading request.user's profile costs no extra query.
"""

from django.contrib.auth import get_user_model
from django.contrib.auth.backends import ModelBackend
from django.db.models import Q


class UsernameOrStaffNumberBackend(ModelBackend):
    def authenticate(self, request, username=None, password=None, **kwargs):
        User = get_user_model()
        username_field = User.USERNAME_FIELD
        identifier = (username or kwargs.get(username_field) or "").strip()
        if not identifier or password is None:
            return None
        by_identifier = Q(**{username_field: identifier}) | Q(shixun_profile__staff_number=identifier)
        candidates = list(User._default_manager.filter(by_identifier)[:10])
        if not candidates:
            # Run the hasher once anyway so response time does not reveal
            # whether an account exists.
            User().set_password(password)
            return None
        by_username = [user for user in candidates if user.get_username() == identifier]
        if by_username:
            candidates = by_username
        matches = [user for user in candidates if user.check_password(password) and self.user_can_authenticate(user)]
        return matches[0] if len(matches) == 1 else None

    def get_user(self, user_id):
        User = get_user_model()
        try:
            user = User._default_manager.select_related("shixun_profile").get(pk=user_id)
        except User.DoesNotExist:
            return None
        return user if self.user_can_authenticate(user) else None
