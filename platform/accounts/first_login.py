"""One-time passwords: a new account's holder must choose their own password before anything else.

Whoever creates accounts in bulk (the roster import of the schools app) hands
out passwords through this module's service:

- :func:`issue_one_time_password` sets a fresh one-time password, records it
  in :class:`~accounts.models.FirstLogin` and returns it for printing;
- :func:`forget_one_time_password` drops that record when the holder will
  choose a password another way (an emailed set-password link).

At login, :func:`remember_on_login` flags the session of a holder who still
has the issued password, and :class:`FirstLoginMiddleware` sends that session
to the password form until they have chosen their own.
"""

from __future__ import annotations

import secrets

from django.conf import settings
from django.shortcuts import redirect
from django.urls import reverse
from django.utils import timezone

from .models import FirstLogin

SESSION_KEY = "shixun_must_change_password"


def generate_one_time_password() -> str:
    # Easy to type from paper for someone unused to keyboards: no 0/O, 1/l/I.
    alphabet = "abcdefghjkmnpqrstuvwxyz23456789"
    return "".join(secrets.choice(alphabet) for _ in range(10))


def issue_one_time_password(user) -> str:
    """Give ``user`` a new one-time password, to be changed at first login, and return it.

    Issuing again replaces the earlier password (a lost slip).
    """
    password = generate_one_time_password()
    user.set_password(password)
    user.save(update_fields=["password"])
    FirstLogin.objects.update_or_create(
        user=user,
        defaults={
            "must_change_password": True,
            "password_at_issue": user.password,
            "issued_at": timezone.now(),
            "completed_at": None,
        },
    )
    return password


def forget_one_time_password(user) -> None:
    """Drop ``user``'s first-login record: they will choose a password without a one-time one."""
    FirstLogin.objects.filter(user=user).delete()


def must_change_password(user) -> bool:
    """True while the teacher still has the one-time password the school printed."""
    record = FirstLogin.objects.filter(user=user, must_change_password=True).first()
    if record is None:
        return False
    if record.password_at_issue != user.password:
        record.must_change_password = False
        record.completed_at = timezone.now()
        record.save(update_fields=["must_change_password", "completed_at"])
        return False
    return True


def remember_on_login(sender, request, user, **kwargs):
    """user_logged_in receiver: one query at login so the middleware costs nothing afterwards."""
    if request is not None and hasattr(request, "session") and must_change_password(user):
        request.session[SESSION_KEY] = True


class FirstLoginMiddleware:
    """Send a teacher who still has a printed one-time password to the password form.

    Must come after AuthenticationMiddleware. Only sessions flagged at login
    pay for a check; everyone else passes straight through.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        session = getattr(request, "session", None)
        if session is not None and session.get(SESSION_KEY) and request.user.is_authenticated:
            if not must_change_password(request.user):
                del session[SESSION_KEY]
            elif not self._allowed(request.path):
                return redirect(f"{reverse('accounts:password_change')}")
        return self.get_response(request)

    @staticmethod
    def _allowed(path: str) -> bool:
        allowed = [
            reverse("accounts:password_change"),
            reverse("accounts:logout"),
            reverse("set_language"),
            settings.STATIC_URL,
        ]
        return any(path.startswith(prefix) for prefix in allowed)
