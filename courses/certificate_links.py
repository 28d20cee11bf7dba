"""Where the learner's pages find certificates: the one provider another app registers.

Certificates are issued by the credit ledger's app, which builds on courses,
not the other way round (as with hours.py). The app that issues them
registers a function here from its AppConfig.ready() (transcripts does);
the course page and the dashboard only ask it.
"""

from collections.abc import Callable, Collection
from dataclasses import dataclass

from django.core.exceptions import ImproperlyConfigured


@dataclass(frozen=True)
class CertificateLink:
    course_id: int
    title: str
    url: str  # where the learner downloads it


# (user, course ids) → {course id: the learner's valid certificate for that course}
CertificateProvider = Callable[[object, Collection[int]], dict[int, CertificateLink]]

_provider: CertificateProvider | None = None


def register_certificate_provider(provider: CertificateProvider) -> CertificateProvider:
    """Make `provider` the answer to "which certificates does this learner hold". A second, different one is refused."""
    global _provider
    if _provider is not None and _provider is not provider:
        raise ImproperlyConfigured(f"courses already has a certificate provider ({_provider!r}); refusing {provider!r}")
    _provider = provider
    return provider


def certificates_for(user, course_ids: Collection[int]) -> dict[int, CertificateLink]:
    """The learner's valid certificates among these courses; none asked (no query) for no course."""
    if _provider is None or not course_ids or not user.is_authenticated:
        return {}
    return _provider(user, course_ids)
