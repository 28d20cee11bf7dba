"""How a newly imported teacher gets into their account for the first time.

- With an email address: an email with a link to choose a password (Django's
  password-reset token, valid until used or PASSWORD_RESET_TIMEOUT).
- Without one (common for older teachers): a one-time password the school
  admin prints and hands over; the teacher must change it at first login
  (FirstLoginMiddleware sends them to the password form until they do).
"""

from __future__ import annotations

from dataclasses import dataclass

from django.conf import settings
from django.contrib.auth.tokens import default_token_generator
from django.core.mail import send_mail
from django.db import transaction
from django.shortcuts import redirect
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode
from django.utils.translation import gettext as _

from .models import FirstLogin

SESSION_KEY = "shixun_must_change_password"


@dataclass(frozen=True)
class FirstLoginMethod:
    one_time_password: str | None  # None: a set-password link was emailed


def site_url() -> str:
    return getattr(settings, "WAGTAILADMIN_BASE_URL", "http://localhost:8000").rstrip("/")


def set_password_link(user) -> str:
    uid = urlsafe_base64_encode(force_bytes(user.pk))
    token = default_token_generator.make_token(user)
    return site_url() + reverse("accounts:password_reset_confirm", args=[uid, token])


def issue_first_login(user, *, request=None) -> FirstLoginMethod:
    if user.email:
        user.set_unusable_password()
        user.save(update_fields=["password"])
        FirstLogin.objects.filter(user=user).delete()
        # The token depends on the password hash just saved: build it now,
        # send it only once the transaction (the whole import) has committed.
        link = set_password_link(user)
        transaction.on_commit(lambda: _send_welcome(user, link))
        return FirstLoginMethod(one_time_password=None)
    return FirstLoginMethod(one_time_password=issue_one_time_password(user))


def issue_one_time_password(user) -> str:
    from .roster import generate_one_time_password

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


def _send_welcome(user, link: str) -> None:
    context = {"user": user, "link": link, "site_url": site_url()}
    send_mail(
        subject=_("Your Shixun account: choose a password"),
        message=render_to_string("schools/email/welcome.txt", context),
        from_email=None,
        recipient_list=[user.email],
    )


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
        if session is not None:
            from .printable_passwords import purge_expired

            purge_expired(session)  # an importing admin's printable passwords, once their time is up
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
