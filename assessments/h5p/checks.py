"""System checks: H5P content must never be served from the site's own origin."""

from urllib.parse import urlsplit

from django.conf import settings
from django.core.checks import Error, Warning, register

from shixun.config.conf import shixun_settings

from .links import content_origin

MIDDLEWARE = "shixun.assessments.h5p.middleware.ContentOriginMiddleware"


@register()
def check_content_origin(app_configs=None, **kwargs):
    problems = []
    middleware = list(settings.MIDDLEWARE)
    if MIDDLEWARE not in middleware:
        problems.append(
            Warning(
                "H5P content cannot be played: the content-origin middleware is not installed.",
                hint=f"Add {MIDDLEWARE!r} at the top of MIDDLEWARE.",
                id="shixun_h5p.W001",
            )
        )
    elif middleware.index(MIDDLEWARE) != 0:
        problems.append(
            Warning(
                "The H5P content-origin middleware is not first in MIDDLEWARE, so other middleware "
                "(sessions, cookies) runs for content-origin requests.",
                hint="Move it to the top of MIDDLEWARE.",
                id="shixun_h5p.W002",
            )
        )
    origin = urlsplit(content_origin())
    site = urlsplit(getattr(settings, "WAGTAILADMIN_BASE_URL", "") or "")
    if origin.netloc and origin.netloc == site.netloc:
        problems.append(
            Error(
                "SHIXUN_H5P_CONTENT_ORIGIN is the site's own origin: H5P content could read learners' sessions.",
                hint="Use a separate host name for H5P content (e.g. h5p.example.org).",
                id="shixun_h5p.E001",
            )
        )
    # The content host is a sub-domain of the site's: a cookie set with a Domain
    # covering it would be sent to H5P content. Cookies are host-only by default.
    content_host = (origin.hostname or "").lower()
    for name in ("SESSION_COOKIE_DOMAIN", "CSRF_COOKIE_DOMAIN"):
        domain = (getattr(settings, name, None) or "").lower().lstrip(".")
        if domain and content_host and (content_host == domain or content_host.endswith("." + domain)):
            problems.append(
                Error(
                    f"{name} makes browsers send the site's cookie to the H5P content host {content_host}.",
                    hint=f"Leave {name} unset (host-only cookies).",
                    id="shixun_h5p.E002",
                )
            )
    if content_origin() not in shixun_settings.SHIXUN_CSP_FRAME_SRC:
        problems.append(
            Warning(
                "The site's Content-Security-Policy does not allow frames from the H5P content origin.",
                hint="Add SHIXUN_H5P_CONTENT_ORIGIN to SHIXUN_CSP_FRAME_SRC.",
                id="shixun_h5p.W003",
            )
        )
    return problems
