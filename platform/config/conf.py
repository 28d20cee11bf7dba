"""Shixun's own settings, with their defaults: `from shixun.config.conf import shixun_settings`.

A host site sets only the `SHIXUN_*` names it wants to change; everything else
falls back to the defaults below, so a host that sets nothing still works.
Each value is read from settings once and kept (a missing name costs Django's settings an exception per
read, and the heartbeat reads a dozen per request); override_settings in tests is seen at once
(`_ShixunSettings`).
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
    # Video players lessons may embed and whose watching counts (courses/video_embeds.py); [] on a closed network.
    # Origins a <video> may load from besides the site (media-src): the object store's, when media are on one.
    "SHIXUN_CSP_MEDIA_SRC": [],
    # Seconds a presigned object-storage URL of a permitted lesson file lives (shixun.config.media_files): a
    # browser keeps using the redirected URL for the video's later Range requests, so a lesson's length.
    "SHIXUN_MEDIA_SIGNED_URL_SECONDS": 60 * 60,
    "SHIXUN_CSP_VIDEO_FRAME_SRC": ["https://www.youtube.com", "https://player.vimeo.com"],
    "SHIXUN_H5P_ROOT": None,  # then the environment variable, then <private storage>/h5p
    # Seconds a play link lives: a long lesson plus a break, then the page must be reloaded.
    "SHIXUN_H5P_LINK_MAX_AGE": 6 * 60 * 60,
    "SHIXUN_H5P_ASYNC_COMMIT_UNCHANGED": True,
    "SHIXUN_QUIZ_GRACE_SECONDS": 20,
    # Seconds an attendance QR code (and its short code) lives before the next one; the previous still works.
    "SHIXUN_ATTENDANCE_CODE_SECONDS": 30,
    "SHIXUN_ASSIGNMENT_MAX_UPLOAD_MB": 50,
    # Course evaluations: averages and comments appear only from this many responses (anonymity).
    "SHIXUN_EVALUATION_MIN_RESPONSES": 5,
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
    # Largest observation photo or lesson plan a visiting teacher uploads (shixun.shadowing).
    "SHIXUN_SHADOWING_MAX_UPLOAD_MB": 20,
    # A lesson video is watched when this share of its timeline is covered (courses/video_watching.py).
    "SHIXUN_VIDEO_WATCHED_SHARE": 0.9,
    # Production behind nginx: lesson videos, documents and H5P files are handed to nginx after the
    # permission check (X-Accel-Redirect to this internal location prefix); "" serves them from Python.
    "SHIXUN_MEDIA_X_ACCEL_PREFIX": "",
    # /readyz limits, and who may read /metrics (an address in the list, or the bearer token).
    "SHIXUN_READY_MAX_QUEUE_BACKLOG": 1000,
    "SHIXUN_READY_MAX_POSTING_LAG_SECONDS": 900,
    "SHIXUN_READY_MIN_FREE_DISK_MB": 1024,
    "SHIXUN_METRICS_ALLOWED_IPS": [],
    "SHIXUN_METRICS_TOKEN": "",
    # The access log (config.logs): a heartbeat or xAPI statement answered in this many milliseconds or more
    # keeps its INFO line, as a refused or failed one does; a faster ordinary one is logged at DEBUG only.
    "SHIXUN_ACCESS_LOG_SLOW_MS": 1000,
    # Study time a credit hour stands for (1 学时 = 45 minutes), unless a module sets its own minimum.
    "SHIXUN_MINUTES_PER_CREDIT_HOUR": 45,
    # Seconds in a study minute: 60; test settings shrink it so a lesson's minimum passes in seconds.
    "SHIXUN_STUDY_SECONDS_PER_MINUTE": 60,
    # Seconds between a studying learner's heartbeats; one credits at most twice this (a longer gap is a pause).
    "SHIXUN_STUDY_HEARTBEAT_SECONDS": 30,
    # PostgreSQL: an ordinary heartbeat's commit does not wait for the disk (a crash loses at most the last
    # fraction of a second of beats, which the next beat credits anyway); reports and completions stay durable.
    "SHIXUN_STUDY_ASYNC_COMMIT": True,
    "SHIXUN_DB_PREPARED_STATEMENTS": True,
    # The lean heartbeat route (config.lean_routes, config.lean_heartbeat): the ordinary heartbeat answered in
    # front of Django's handler with the same checks; False hands every heartbeat to the full stack.
    "SHIXUN_LEAN_HEARTBEAT": True,
    # The lean xAPI route (config.lean_routes, assessments.h5p.lean): the ordinary statement (one that changes
    # nothing the module holds) answered in front of Django's handler; False hands every one to the full stack.
    "SHIXUN_LEAN_XAPI": True,
    # Seconds without input or scrolling before the page stops the clock and asks "还在学习吗？".
    "SHIXUN_STUDY_IDLE_SECONDS": 180,
    # The review of study patterns (transcripts.study_review) flags, never changes credit: heartbeats of a
    # module while another module beat too; beats under half an interval apart (several pages or devices);
    # an unbroken run of beats this long whose intervals vary by at most this spread; a quiz submitted in
    # under this many seconds a question.
    "SHIXUN_REVIEW_MIN_OVERLAP_BEATS": 3,
    "SHIXUN_REVIEW_MIN_SHORT_BEATS": 5,
    "SHIXUN_REVIEW_LONG_RUN_MINUTES": 120,
    "SHIXUN_REVIEW_REGULAR_SPREAD_MS": 200,
    "SHIXUN_REVIEW_QUIZ_SECONDS_PER_QUESTION": 3,
    # A module completed (by any activity) sooner after enrolling than this share of its minimum study time.
    "SHIXUN_REVIEW_FAST_MODULE_SHARE": 0.25,
    # Production: a process-local cache is an error (shixun.E004), since invalidations must reach every process.
    "SHIXUN_REQUIRE_SHARED_CACHE": False,
    # Login throttling (django-axes, shixun.accounts.throttling): failed logins per account (username or
    # staff number) and per client address within the cool-off; then that account or address waits.
    "SHIXUN_LOGIN_FAILURE_LIMIT": 5,
    # Higher than the per-account limit: a school's teachers often share one address.
    "SHIXUN_LOGIN_IP_FAILURE_LIMIT": 30,
    "SHIXUN_LOGIN_COOLOFF_MINUTES": 15,
    # Request limits (shixun.config.ratelimit): "count/[n]unit", unit s, m, h or d; "" for none.
    "SHIXUN_RATE_LIMITS_ENABLED": True,
    # Reverse proxies (addresses or networks) whose X-Forwarded-For names the client (login and request limits).
    "SHIXUN_TRUSTED_PROXIES": [],
    "SHIXUN_RATE_LIMIT_XAPI": "240/m",
    "SHIXUN_RATE_LIMIT_QUIZ_SAVE": "60/m",
    # For the study-time heartbeat endpoint (one every 30-60 s from each open lesson).
    "SHIXUN_RATE_LIMIT_HEARTBEAT": "20/m",
    # For a lesson video's watched-interval reports (every 15 s while playing, and on play, pause and end):
    # a budget of their own, so scrubbing through a video never refuses the page's heartbeats, or the reverse.
    "SHIXUN_RATE_LIMIT_VIDEO_REPORT": "30/m",
    "SHIXUN_RATE_LIMIT_PASSWORD_RESET_ADDRESS": "3/h",
    "SHIXUN_RATE_LIMIT_PASSWORD_RESET_IP": "20/h",
    # Annual reports of districts up to this many teachers are computed at once; larger ones as a background job.
    "SHIXUN_REPORT_INLINE_TEACHERS": 1000,
}


class _ShixunSettings:
    """The settings, each read once and kept while Django's settings object stays the same one.

    override_settings (and pytest-django's `settings` fixture, a deletion included) puts a new settings
    object in place while it lasts and the old one back after: a new object forgets what was kept.

    Each name of DEFAULTS is a `_Setting` on the class, so a read is one call: through `__getattr__` it
    first failed the ordinary lookup (an AttributeError made and dropped) and asked LazySettings for its
    object in Python, ~2.4 µs a read, and a lean heartbeat reads 19. Any other name reaches `__getattr__`.
    """

    def __init__(self):
        self._kept = {}
        self._holder = None

    def __getattr__(self, name):  # a name that is not a Shixun setting
        raise AttributeError(f"{name} is not a Shixun setting (see shixun.config.conf.DEFAULTS)")


# LazySettings' own attributes (never replaced: Django clears and fills it in place), where it holds
# `_wrapped`, the settings object in use; read here directly, not through LazyObject's __getattribute__.
_lazy_settings_attributes = object.__getattribute__(settings, "__dict__")


class _Setting:
    """One name of DEFAULTS on `_ShixunSettings`: its value, read once per settings object and kept."""

    __slots__ = ("name",)

    def __init__(self, name: str):
        self.name = name

    def __get__(self, kept, owner=None):
        if kept is None:  # on the class itself
            return self
        holder = _lazy_settings_attributes.get("_wrapped")
        if holder is not kept._holder:
            kept._kept, kept._holder = {}, holder
        try:
            return kept._kept[self.name]
        except KeyError:
            value = kept._kept[self.name] = getattr(settings, self.name, DEFAULTS[self.name])
            return value


for _name in DEFAULTS:
    setattr(_ShixunSettings, _name, _Setting(_name))
del _name

shixun_settings = _ShixunSettings()
