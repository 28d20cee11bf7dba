"""One-time passwords of a roster import, kept just long enough to print them.

Who needs them: a school admin importing 80 teachers without email, who
prints a sheet of slips and hands them out. The printer may jam, so the
sheet must be printable more than once; but a list of working passwords
must not sit in a database row for the weeks a session lives.

So they are kept in the importing admin's own session (nobody else can
read them, and logging out flushes them) for KEPT (30 minutes by default,
SHIXUN_ONE_TIME_PASSWORDS_MINUTES), and every read drops what is no longer
needed: sets older than that, and the passwords of teachers who have
already chosen their own. PurgeExpiredPasswordsMiddleware purges expired
sets on the admin's next request of any kind. After that the first-login
page issues fresh one-time passwords for whoever has not logged in yet, so
nothing is lost by forgetting them.
"""

from __future__ import annotations

from datetime import timedelta

from django.utils import timezone

from shixun.config.conf import shixun_settings

SESSION_KEY = "shixun_one_time_passwords"


def kept_for() -> timedelta:
    return timedelta(minutes=shixun_settings.SHIXUN_ONE_TIME_PASSWORDS_MINUTES)


def keep(session, record_id: int, pairs: list[tuple[int, str]]) -> None:
    """Remember an import's (user id, password) pairs in this session, until kept_for() from now."""
    stored = dict(session.get(SESSION_KEY, {}))
    stored[str(record_id)] = {"until": (timezone.now() + kept_for()).isoformat(), "pairs": [list(p) for p in pairs]}
    session[SESSION_KEY] = stored


def purge_expired(session) -> None:
    """Drop the sets past their time (cheap: only sessions holding some pay for more than one lookup)."""
    stored = session.get(SESSION_KEY)
    if not stored:
        return
    now = timezone.now()
    fresh = {key: value for key, value in stored.items() if _until(value) > now}
    if len(fresh) != len(stored):
        if fresh:
            session[SESSION_KEY] = fresh
        else:
            del session[SESSION_KEY]


class PurgeExpiredPasswordsMiddleware:
    """Drop an importing admin's printable passwords once their time is up, whatever they request next.

    Must come after SessionMiddleware.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        session = getattr(request, "session", None)
        if session is not None:
            purge_expired(session)
        return self.get_response(request)


def still_needed(session, record_id: int) -> dict[int, str]:
    """{user id: password} of the import, for teachers who have not chosen their own password yet."""
    from shixun.accounts.models import FirstLogin

    purge_expired(session)
    stored = dict(session.get(SESSION_KEY, {}))
    entry = stored.get(str(record_id))
    if not entry:
        return {}
    passwords = {int(pk): password for pk, password in entry["pairs"]}
    pending = set(
        FirstLogin.objects.filter(user_id__in=passwords, must_change_password=True).values_list("user_id", flat=True)
    )
    # A password the teacher has replaced (or that was issued again) opens nothing: forget it.
    from django.contrib.auth import get_user_model

    User = get_user_model()

    current = {
        pk: password_hash
        for pk, password_hash in User.objects.filter(pk__in=pending).values_list("pk", "password")
    }
    at_issue = dict(FirstLogin.objects.filter(user_id__in=pending).values_list("user_id", "password_at_issue"))
    live = {pk: pw for pk, pw in passwords.items() if pk in current and current[pk] == at_issue.get(pk)}
    if len(live) != len(passwords):
        if live:
            entry = {**entry, "pairs": [[pk, pw] for pk, pw in live.items()]}
            stored[str(record_id)] = entry
        else:
            stored.pop(str(record_id))
        session[SESSION_KEY] = stored
    return live


def _until(entry):
    from datetime import datetime

    try:
        return datetime.fromisoformat(entry["until"])
    except (KeyError, TypeError, ValueError):  # an older or damaged entry: treat as expired
        return timezone.now() - timedelta(seconds=1)
