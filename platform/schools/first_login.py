"""How a teacher imported from a roster gets into their account for the first time.

- With an email address: an email with a link to choose a password (Django's
  password-reset token, valid until used or PASSWORD_RESET_TIMEOUT).
- Without one (common for older teachers): a one-time password the school
  admin prints and hands over; the teacher must change it at first login.
  The one-time password, its record and the redirect to the password form
  belong to the accounts app (accounts.first_login); this module only
  chooses between the two ways and sends the welcome email.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.conf import settings
from django.contrib.auth.tokens import default_token_generator
from django.core.mail import send_mail
from django.db import transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode
from django.utils.translation import gettext as _

from shixun.accounts.first_login import forget_one_time_password, issue_one_time_password


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
        forget_one_time_password(user)
        # The token depends on the password hash just saved: build it now,
        # send it only once the transaction (the whole import) has committed.
        link = set_password_link(user)
        transaction.on_commit(lambda: _send_welcome(user, link))
        return FirstLoginMethod(one_time_password=None)
    return FirstLoginMethod(one_time_password=issue_one_time_password(user))


def _send_welcome(user, link: str) -> None:
    context = {"user": user, "link": link, "site_url": site_url()}
    send_mail(
        subject=_("Your Shixun account: choose a password"),
        message=render_to_string("schools/email/welcome.txt", context),
        from_email=None,
        recipient_list=[user.email],
    )
