"""Login throttling with django-axes: per account and per client address.

Axes sits first in AUTHENTICATION_BACKENDS (AxesStandaloneBackend), so every
login that goes through django.contrib.auth.authenticate with a request is
covered: Shixun's login page (username or staff number), Wagtail's admin login
and Django's admin login.

- The account a failure counts against is the person the identifier names,
  not the text typed: a username and a staff number unique in the database
  count against the same account (`account_key`), so switching between them
  gains nothing. A staff number that several people share (different
  districts) counts against "staff number X" on its own.
- An account is locked after SHIXUN_LOGIN_FAILURE_LIMIT failures within the
  cool-off, a client address after SHIXUN_LOGIN_IP_FAILURE_LIMIT (higher: a
  school's teachers often share one address). Both expire
  SHIXUN_LOGIN_COOLOFF_MINUTES after the last failure; a school admin can end
  an account's lockout at once (`unlock_login`).
- A successful login clears that account's failures only (never the
  address's: one valid account must not wipe an attacker's count).

The AXES_* values below are applied by AccountsConfig.ready() unless the site
sets them itself, so a host site gets them with the app (config.host). This
module imports nothing of axes at load time: axes reads its settings once,
when its own modules are first imported, which must come after ready().
"""

import math
from datetime import timedelta

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db.models import Max, Sum
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext as _

from shixun.config.conf import shixun_settings

from .actors import NotPermitted, recorded_person, require
from .permissions import can_unlock_login

STAFF_NUMBER_KEY = "staff-number:"
UNLOCK_ACTION = "shixun_accounts.unlock_login"

AXES_DEFAULTS = {
    "AXES_HANDLER": "shixun.accounts.axes_handler.ShixunAxesHandler",
    "AXES_LOCKOUT_PARAMETERS": ["username", "ip_address"],
    "AXES_USERNAME_CALLABLE": "shixun.accounts.throttling.account_key",
    "AXES_FAILURE_LIMIT": "shixun.accounts.throttling.failure_limit",
    "AXES_COOLOFF_TIME": "shixun.accounts.throttling.cool_off",
    "AXES_LOCKOUT_CALLABLE": "shixun.accounts.throttling.lockout_response",
    # The same client address as the request limits (X-Forwarded-For only from SHIXUN_TRUSTED_PROXIES).
    "AXES_CLIENT_IP_CALLABLE": "shixun.config.ratelimit.client_address",
    # The lockout runs from the last counted failure: tries during it are refused but do not extend it,
    # so the minutes the page shows are the real wait.
    "AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT": False,
    # Successful logins are not logged (an address and a browser per login is personal data nobody reads).
    "AXES_DISABLE_ACCESS_LOG": True,
    "AXES_ENABLE_ACCESS_FAILURE_LOG": False,
    "AXES_VERBOSE": False,
}


def apply_axes_defaults() -> None:
    for name, value in AXES_DEFAULTS.items():
        if not hasattr(settings, name):
            setattr(settings, name, value)


def _identifier(request, credentials) -> str:
    if credentials:
        value = credentials.get("username") or credentials.get(get_user_model().USERNAME_FIELD)
    else:
        value = getattr(request, "POST", {}).get("username") if request is not None else None
    return str(value or "").strip()[:150]


def account_key(request, credentials=None) -> str | None:
    """The account an attempt counts against: a username, or "staff-number:X" for a shared staff number.

    Follows the login backend's order: a username wins over a staff number.
    """
    identifier = _identifier(request, credentials)
    if not identifier:
        return None
    User = get_user_model()
    field = User.USERNAME_FIELD
    if User._default_manager.filter(**{field: identifier}).exists():
        return identifier
    owners = list(
        User._default_manager.filter(shixun_profile__staff_number=identifier).values_list(field, flat=True)[:2]
    )
    if len(owners) == 1:
        return owners[0]
    return STAFF_NUMBER_KEY + identifier


def keys_of(person) -> list[str]:
    """Every key failures against this person's account can be counted under."""
    from .people import profile_of

    keys = [person.get_username()]
    staff_number = profile_of(person).staff_number
    if staff_number:
        keys.append(STAFF_NUMBER_KEY + staff_number)
    return keys


def failure_limit(request=None, credentials=None) -> int:
    return shixun_settings.SHIXUN_LOGIN_FAILURE_LIMIT


def cool_off(request=None) -> timedelta:
    return timedelta(minutes=shixun_settings.SHIXUN_LOGIN_COOLOFF_MINUTES)


def _since():
    return timezone.now() - cool_off()


def minutes_left(request, credentials=None) -> int:
    """Minutes until the newest counted failure behind this lockout leaves the cool-off."""
    from axes.handlers.proxy import AxesProxyHandler

    handler = AxesProxyHandler.get_implementation()
    newest = [
        attempts.aggregate(newest=Max("attempt_time"))["newest"]
        for attempts in handler.get_user_attempts(request, credentials)
    ]
    newest = [when for when in newest if when is not None]
    if not newest:
        return shixun_settings.SHIXUN_LOGIN_COOLOFF_MINUTES
    seconds = (max(newest) + cool_off() - timezone.now()).total_seconds()
    return max(1, math.ceil(seconds / 60))


def lockout_response(request, original_response=None, credentials=None):
    """The page a locked-out login gets (429): what happened and what to do, in Chinese."""
    minutes = minutes_left(request, credentials)
    message = _(
        "Too many failed logins for this account or from this network: logging in is paused. "
        "Try again in %(minutes)d minutes, or ask your school's administrator to unlock your account."
    ) % {"minutes": minutes}
    response = render(request, "accounts/locked_out.html", {"message": message, "minutes": minutes}, status=429)
    response["Retry-After"] = str(minutes * 60)
    return response


def is_login_locked(person) -> bool:
    """Whether this person's account has as many recent failures as the per-account limit."""
    from axes.models import AccessAttempt

    total = (
        AccessAttempt.objects.filter(username__in=keys_of(person), attempt_time__gte=_since())
        .values("username")
        .annotate(total=Sum("failures_since_start"))
        .order_by("-total")
        .values_list("total", flat=True)
        .first()
    )
    return (total or 0) >= shixun_settings.SHIXUN_LOGIN_FAILURE_LIMIT


def unlock_login(actor, person) -> int:
    """End the lockout of `person`'s account (their failures by username and staff number). Audited.

    The addresses' counts stay: an attacker's address remains locked.
    Returns how many attempt records were cleared.
    """
    from axes.models import AccessAttempt
    from wagtail.log_actions import log

    require(actor, lambda who: can_unlock_login(who, person), _("You may not unlock this account."),
            error=NotPermitted)
    cleared, _details = AccessAttempt.objects.filter(username__in=keys_of(person)).delete()
    log(instance=person, action=UNLOCK_ACTION, user=recorded_person(actor), data={"cleared": cleared})
    return cleared


def forget_login_attempts(person) -> int:
    """Delete the failed-login records kept under this person's username or staff number (erasure)."""
    from axes.models import AccessAttempt

    return AccessAttempt.objects.filter(username__in=keys_of(person)).delete()[0]
