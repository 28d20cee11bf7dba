"""School codes that would clash with this app's own URLs.

A school's pages live at /schools/<code>/…, next to fixed pages such as
/schools/exports/<id>/ and /schools/districts/<code>/. A school whose code
is one of those first path segments would have pages that resolve to
something else (its exports page would be a district's). Such codes are
refused wherever a school is saved (a pre_save check connected in
apps.py, since the School model belongs to accounts); the reserved words
are read from urls.py, so a new fixed page reserves its segment by itself.
"""

from __future__ import annotations

import re
from functools import cache

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _


@cache
def reserved_school_codes() -> frozenset[str]:
    from .urls import urlpatterns

    words = set()
    for pattern in urlpatterns:
        first = str(pattern.pattern).split("/", 1)[0]
        if first and not re.search(r"[<>]", first):
            words.add(first.lower())
    return frozenset(words)


def validate_school_code(code: str) -> None:
    if (code or "").lower() in reserved_school_codes():
        raise ValidationError(
            _("“%(code)s” cannot be a school code: the site uses it for its own pages. Choose another code.")
            % {"code": code},
            code="reserved_school_code",
        )


def refuse_reserved_codes(sender, instance, raw=False, **kwargs) -> None:
    """pre_save of accounts.School: fixtures and serialized test rollbacks (raw) are loaded as they are."""
    if raw:
        return
    validate_school_code(instance.code)
