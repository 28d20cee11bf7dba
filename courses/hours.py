"""Where the learner dashboard gets a learner's hours: the one provider another app registers.

Hours are the credit ledger's to count (module completions, approved
external training, manual adjustments, reversals), and the ledger's app
builds on courses, not the other way round. So courses only asks: the app
that owns hours registers its function here from its AppConfig.ready()
(transcripts does), the way Wagtail apps register hooks.
"""

from collections.abc import Callable, Collection
from decimal import Decimal

from django.core.exceptions import ImproperlyConfigured

# (user, calendar year) → the hours the learner earned in that year.
HoursProvider = Callable[[object, int], Decimal]

_provider: HoursProvider | None = None


def register_hours_provider(provider: HoursProvider) -> HoursProvider:
    """Make `provider` the answer to "hours earned this year". Registering it again changes nothing.

    A second, different provider is refused: two sources of hours are what
    made the dashboard and the transcript disagree.
    """
    global _provider
    if _provider is not None and _provider is not provider:
        raise ImproperlyConfigured(f"courses already has an hours provider ({_provider!r}); refusing {provider!r}")
    _provider = provider
    return provider


def hours_earned_in_year(user, year: int) -> Decimal | None:
    """The registered provider's figure; None when no installed app provides hours (the dashboard shows none)."""
    return None if _provider is None else _provider(user, year)


# (user, course ids) → {course id: hours waiting for the course to be passed (待考核)}
PendingHoursProvider = Callable[[object, Collection[int]], dict[int, Decimal]]

_pending_provider: PendingHoursProvider | None = None


def register_pending_hours_provider(provider: PendingHoursProvider) -> PendingHoursProvider:
    """Make `provider` the answer to "which hours wait for this course to be passed". A second one is refused."""
    global _pending_provider
    if _pending_provider is not None and _pending_provider is not provider:
        raise ImproperlyConfigured(
            f"courses already has a pending-hours provider ({_pending_provider!r}); refusing {provider!r}"
        )
    _pending_provider = provider
    return provider


def pending_hours_for(user, course_ids: Collection[int]) -> dict[int, Decimal]:
    """Hours of these courses held until the course is passed; none asked (no query) for no course."""
    if _pending_provider is None or not course_ids or not user.is_authenticated:
        return {}
    return _pending_provider(user, course_ids)
