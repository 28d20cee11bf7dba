"""Where the learner dashboard gets a learner's hours: the one provider another app registers.

Hours are the credit ledger's to count (module completions, approved
external training, manual adjustments, reversals), and the ledger's app
builds on courses, not the other way round. So courses only asks: the app
that owns hours registers its function here from its AppConfig.ready()
(transcripts does), the way Wagtail apps register hooks.
"""

from collections.abc import Callable
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
