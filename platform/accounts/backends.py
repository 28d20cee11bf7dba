"""Log in with a username or a staff number (工号).

Teachers know their staff number better than a made-up username. A staff
number is unique only within a district, so the same number can belong to two
people in different districts: the password decides, and if it fits more than
one of them nobody is logged in (the user is asked for their username).
"""

from django.contrib.auth.backends import ModelBackend
from django.db.models import Q

from .models import User


class UsernameOrStaffNumberBackend(ModelBackend):
    def authenticate(self, request, username=None, password=None, **kwargs):
        identifier = (username or kwargs.get(User.USERNAME_FIELD) or "").strip()
        if not identifier or password is None:
            return None
        candidates = list(User.objects.filter(Q(username=identifier) | Q(staff_number=identifier))[:10])
        if not candidates:
            # Run the hasher once anyway so response time does not reveal
            # whether an account exists.
            User().set_password(password)
            return None
        by_username = [user for user in candidates if user.username == identifier]
        if by_username:
            candidates = by_username
        matches = [user for user in candidates if user.check_password(password) and self.user_can_authenticate(user)]
        return matches[0] if len(matches) == 1 else None
