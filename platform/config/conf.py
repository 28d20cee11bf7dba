"""Shixun's own settings, with their defaults: `from shixun.config.conf import shixun_settings`.

A host site sets only the `SHIXUN_*` names it wants to change; everything else
falls back to the defaults below, so a host that sets nothing still works.
Read at call time (not cached), so tests' override_settings applies.
Every name is listed in README ("Settings").
"""

from django.conf import settings

DEFAULTS = {
    # Template Shixun's pages extend; a host points it at its own base template.
    "SHIXUN_BASE_TEMPLATE": "shixun/theme_base.html",
    # Origin H5P content plays from (never the site's own); falls back to the environment variable.
    "SHIXUN_H5P_CONTENT_ORIGIN": None,  # then the environment variable, then http://h5p.shixun.localhost:8000
    # Origins pages may frame (Content-Security-Policy frame-src); must hold the H5P content origin.
    "SHIXUN_CSP_FRAME_SRC": [],
    "SHIXUN_H5P_ROOT": None,  # then the environment variable, then <private storage>/h5p
    # Seconds a play link lives: a long lesson plus a break, then the page must be reloaded.
    "SHIXUN_H5P_LINK_MAX_AGE": 6 * 60 * 60,
    "SHIXUN_H5P_ASYNC_COMMIT_UNCHANGED": True,
    "SHIXUN_QUIZ_GRACE_SECONDS": 20,
    # Seconds an attendance QR code (and its short code) lives before the next one; the previous still works.
    "SHIXUN_ATTENDANCE_CODE_SECONDS": 30,
    "SHIXUN_ASSIGNMENT_MAX_UPLOAD_MB": 50,
    # One durable commit posts this many module completions (transcripts.ledger).
    "SHIXUN_CREDIT_POSTING_BATCH": 200,
    "SHIXUN_PDF_FONT": "",
    "SHIXUN_EXPORT_CHUNK_TEACHERS": 100,
    "SHIXUN_ROSTER_MAX_BYTES": 5 * 1024 * 1024,
    "SHIXUN_ROSTER_MAX_UNPACKED_BYTES": 30 * 1024 * 1024,
    "SHIXUN_ROSTER_MAX_ROWS": 3000,
    "SHIXUN_ONE_TIME_PASSWORDS_MINUTES": 30,
    # Days a school or district export stays downloadable (hourly clean-up; erasure deletes at once).
    "SHIXUN_EXPORT_RETENTION_DAYS": 7,
    "SHIXUN_DOCUMENT_MAX_UPLOAD_MB": 500,
    # /readyz limits, and who may read /metrics (an address in the list, or the bearer token).
    "SHIXUN_READY_MAX_QUEUE_BACKLOG": 1000,
    "SHIXUN_READY_MAX_POSTING_LAG_SECONDS": 900,
    "SHIXUN_READY_MIN_FREE_DISK_MB": 1024,
    "SHIXUN_METRICS_ALLOWED_IPS": [],
    "SHIXUN_METRICS_TOKEN": "",
    # Production: a process-local cache is an error (shixun.E004), since invalidations must reach every process.
    "SHIXUN_REQUIRE_SHARED_CACHE": False,
}


class _ShixunSettings:
    def __getattr__(self, name):
        if name not in DEFAULTS:
            raise AttributeError(f"{name} is not a Shixun setting (see shixun.config.conf.DEFAULTS)")
        return getattr(settings, name, DEFAULTS[name])


shixun_settings = _ShixunSettings()
