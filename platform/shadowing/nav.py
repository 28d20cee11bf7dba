"""The header entry 跟岗研修 for the people who take part, without a database query on every page.

Who takes part is a fact of the data (a participation as teacher or mentor,
a school that is a base school or nominated someone, a school in a district
with a running programme), not of a group, so finding it out costs queries.
The answer is kept per user in the cache (Redis in production, already read
on every request for the session) together with a generation number; every
service that changes who takes part bumps the generation (`changed()`), so a
newly nominated teacher sees the entry on their next page. One cache round
trip (get_many) per page, no query; the queries run once per user after a
change, or when the cached answer expires (`TTL`).

District admins see the entry from their role alone (no cache, no query):
they open the programmes.
"""

from django.core.cache import cache
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from shixun.accounts.people import profile_of
from shixun.config.reversing import reverse_once

GENERATION_KEY = "shixun:shadowing:nav:generation"
TTL = 6 * 3600  # seconds; a backstop, the generation makes changes visible at once
LABEL = _("Shadowing training")
WHO_FIELDS = {"teacher", "mentor", "base_school", "nominating_school", "school", "district", "status"}


def _user_key(user) -> str:
    # date_joined too: a database rebuilt (tests, a restore) may give the same pk to another person.
    joined = user.date_joined.timestamp() if getattr(user, "date_joined", None) else 0
    return f"shixun:shadowing:nav:user:{user.pk}:{joined}"


def changed(**_signal_kwargs) -> None:
    """Who takes part may have changed: every user's cached answer is recomputed on their next page.

    Connected to the saves and deletes of programmes, base schools and
    participations (apps.py), so the admin and the services alike bump it:
    at once, and again when the transaction commits (a page rendered in
    between may have cached the answer from before the change).
    """
    from django.db import transaction

    update_fields = _signal_kwargs.get("update_fields")
    if update_fields is not None and not set(update_fields) & WHO_FIELDS:
        return  # a score, an appraisal, an outcome: nobody's part changed
    _bump()
    transaction.on_commit(_bump)


def _bump() -> None:
    try:
        cache.incr(GENERATION_KEY)
    except ValueError:  # not set yet (or evicted): any new value differs from what users hold
        import time

        cache.set(GENERATION_KEY, time.time_ns(), None)


def takes_part(user) -> bool:
    """One query: is `user` a visiting teacher, a mentor, or the admin of a school concerned (no cache)."""
    from django.contrib.auth import get_user_model
    from django.db.models import Exists

    from .models import BaseSchool, Participant, Programme

    condition = Exists(Participant.objects.filter(Q(teacher_id=user.pk) | Q(mentor_id=user.pk)))
    profile = profile_of(user)
    if profile.is_school_admin and profile.school_id:
        condition = (
            condition
            | Exists(BaseSchool.objects.filter(school_id=profile.school_id))
            | Exists(Participant.objects.filter(nominating_school_id=profile.school_id))
            # A school of a district with a running programme may nominate.
            | Exists(Programme.objects.filter(district_id=profile.district_id, status=Programme.Status.OPEN))
        )
    return get_user_model().objects.filter(condition, pk=user.pk).exists()


def shows_entry(user) -> bool:
    if user is None or not user.is_authenticated:
        return False
    if user.is_superuser or profile_of(user).is_district_admin:
        return True
    key = _user_key(user)
    found = cache.get_many([GENERATION_KEY, key])
    generation = found.get(GENERATION_KEY)
    if generation is None:
        _bump()
        generation = cache.get(GENERATION_KEY)
    held = found.get(key)
    if held is not None and held[0] == generation:
        return held[1]
    answer = takes_part(user)
    cache.set(key, (generation, answer), TTL)
    return answer


def header_entries(user) -> list[tuple[str, str]]:
    return [(reverse_once("shadowing:home"), LABEL)] if shows_entry(user) else []
