"""Signed, expiring, per-learner links to H5P content on the content origin.

The module page hands an enrolled learner a token that names the learner,
the activity, the module, the package version and the site origin that
embeds the player. It is signed with the site's SECRET_KEY
(django.core.signing), so it cannot be guessed or altered, and it expires
(setting SHIXUN_H5P_LINK_MAX_AGE, seconds). The content origin has no
session: the token is all it knows. The xAPI endpoint on the site checks
that the token belongs to the learner of the session.
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass
from urllib.parse import urlsplit

from django.conf import settings
from django.core import signing

from shixun.config.conf import shixun_settings

SALT = "shixun.h5p.play"
DEFAULT_CONTENT_ORIGIN = "http://h5p.shixun.localhost:8000"  # `make demo`: the site is on shixun.localhost:8000


class LinkInvalid(Exception):
    """The token was not made by this site, or was altered."""


class LinkExpired(LinkInvalid):
    """The token is genuine but older than the allowed age."""


@dataclass(frozen=True)
class PlayGrant:
    user_id: int
    activity_id: int
    module_id: int
    content_id: int
    site_origin: str


def content_origin() -> str:
    # The environment variable works until the setting is added to config.settings.
    origin = shixun_settings.SHIXUN_H5P_CONTENT_ORIGIN or os.environ.get("SHIXUN_H5P_CONTENT_ORIGIN")
    return (origin or DEFAULT_CONTENT_ORIGIN).rstrip("/")


def content_netloc() -> tuple[str, int]:
    """(host, port) of the content origin, the port filled in from the scheme."""
    parts = urlsplit(content_origin())
    return (parts.hostname or "").lower(), parts.port or (443 if parts.scheme == "https" else 80)


def max_age() -> int:
    return int(shixun_settings.SHIXUN_H5P_LINK_MAX_AGE)


def make_token(*, user, activity, module, content, site_origin: str) -> str:
    payload = {"u": user.pk, "a": activity.pk, "m": module.pk, "c": content.pk, "o": site_origin}
    return signing.TimestampSigner(salt=SALT).sign_object(payload)


def read_token(token: str) -> PlayGrant:
    signer = signing.TimestampSigner(salt=SALT)
    try:
        payload = signer.unsign_object(token, max_age=max_age())
    except signing.SignatureExpired as exc:
        raise LinkExpired(str(exc)) from exc
    except (signing.BadSignature, ValueError, TypeError) as exc:
        raise LinkInvalid(str(exc)) from exc
    try:
        return PlayGrant(
            user_id=int(payload["u"]),
            activity_id=int(payload["a"]),
            module_id=int(payload["m"]),
            content_id=int(payload["c"]),
            site_origin=str(payload["o"]),
        )
    except (KeyError, TypeError, ValueError) as exc:
        raise LinkInvalid("malformed payload") from exc


MEMO_SIZE = 50_000  # links remembered per process by grant_of; then it starts again
_grants = {}  # token → (grant, the time it was signed)
_grant_keys = None  # the secret keys the remembered links were checked with


def grant_of(token: str) -> PlayGrant:
    """read_token, with each link's signature checked once per process (issue 18).

    A player sends the same link with every statement of a session: its HMAC, base64 and JSON are the same
    work every time, and their answer cannot change while the secret keys stay the same. The link's age
    can, so it is checked on every statement as read_token checks it (a link past its age goes to
    read_token, which refuses it); a change of SECRET_KEY or its fallbacks forgets every remembered link.
    """
    global _grant_keys
    keys = (settings.SECRET_KEY, tuple(settings.SECRET_KEY_FALLBACKS))
    if keys != _grant_keys:
        _grants.clear()
        _grant_keys = keys
    known = _grants.get(token)
    if known is not None and time.time() - known[1] <= max_age():
        return known[0]
    grant = read_token(token)  # raises for an expired, altered or made-up link
    if len(_grants) >= MEMO_SIZE:
        _grants.clear()
    # TimestampSigner's form, "<value>:<time signed, base 62>:<signature>": read_token has just accepted it.
    _grants[token] = (grant, signing.b62_decode(token.rsplit(signing.Signer().sep, 2)[-2]))
    return grant


def player_url(token: str) -> str:
    return f"{content_origin()}/h5p/play/{token}/"


def activity_iri(activity_id: int) -> str:
    """The xAPI object id the player reports for an activity (its sub-contents add ?subContentId=…)."""
    return f"{content_origin()}/h5p/activity/{activity_id}"
