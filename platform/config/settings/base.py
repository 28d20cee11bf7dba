"""Settings shared by every environment.

Everything a deployment changes is read from the environment (see README,
"Configuration"). The defaults give the embedded set-up: SQLite in WAL mode,
django-q2's ORM broker, local media and console email, so `make demo` needs no
server.
"""

from email.utils import getaddresses
from pathlib import Path

import dj_database_url
from django.utils.translation import gettext_lazy as _

from shixun.config.env import env, env_bool, env_float, env_int, env_list, with_content_host
from shixun.config.host import SHIXUN_APPS
from shixun.config.logs import logging_config

PLATFORM_DIR = Path(__file__).resolve().parents[2]
BASE_DIR = PLATFORM_DIR.parent
VAR_DIR = Path(env("SHIXUN_VAR_DIR", str(BASE_DIR / "var")))

SECRET_KEY = env("SECRET_KEY", "django-insecure-shixun-development-only-key-change-me")
DEBUG = env_bool("DEBUG", False)
# `make demo` serves the site on shixun.localhost and H5P content on
# h5p.shixun.localhost (see "H5P" below); plain localhost still answers.
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "shixun.localhost,h5p.shixun.localhost,localhost,127.0.0.1,[::1]")

INSTALLED_APPS = [
    # Shixun's own apps, the list a host site adds too (config.host). Each has an explicit,
    # prefixed AppConfig label so they can be installed into another Wagtail site without clashing.
    *SHIXUN_APPS,
    # Wagtail
    "wagtail.contrib.forms",
    "wagtail.contrib.redirects",
    "wagtail.contrib.settings",
    "wagtail.embeds",
    "wagtail.sites",
    "shixun.accounts.apps.UsersAppConfig",
    "wagtail.snippets",
    "wagtail.documents",
    "wagtail.images",
    "wagtail.search",
    "wagtail.admin",
    "wagtail",
    "modelcluster",
    "taggit",
    # Django
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django_q",
    # Login throttling (shixun.accounts.throttling sets its AXES_* settings).
    "axes",
]

MIDDLEWARE = [
    # First: requests to the H5P content host are answered from H5P content
    # alone, before sessions or anything else of the site can run.
    "shixun.assessments.h5p.middleware.ContentOriginMiddleware",
    # A request id for every log line of the request (and its X-Request-ID), latency metrics.
    "shixun.config.logs.RequestContextMiddleware",
    # /healthz and /readyz, answered before sessions, the SSL redirect and the host check.
    "shixun.config.health.HealthCheckMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # Wagtail's Site for page views from the cache (invalidated on change): one query less per page.
    "shixun.themes.middleware.CachedSiteMiddleware",
    # A school admin's printable one-time passwords leave their session once their time is up.
    "shixun.schools.printable_passwords.PurgeExpiredPasswordsMiddleware",
    # Teachers given a one-time password must choose their own before anything else.
    "shixun.accounts.first_login.FirstLoginMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "shixun.themes.middleware.SecurityHeadersMiddleware",
    "wagtail.contrib.redirects.middleware.RedirectMiddleware",
    # Last: turns a locked-out login into Shixun's lockout page (429).
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "shixun.config.urls"
WSGI_APPLICATION = "shixun.config.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "themes" / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "django.template.context_processors.i18n",
                "wagtail.contrib.settings.context_processors.settings",
                "shixun.themes.context_processors.shixun",
            ],
        },
    },
]

# --- Database -----------------------------------------------------------------
# SQLite runs in WAL mode with a busy timeout and IMMEDIATE transactions so the
# web process and django-q2 workers can write at the same time without
# "database is locked" errors (a deferred transaction that later upgrades to a
# write lock cannot wait for the busy timeout; an immediate one can).
SQLITE_OPTIONS = {
    "timeout": 30,
    "transaction_mode": "IMMEDIATE",
    "init_command": (
        "PRAGMA journal_mode=WAL;"
        "PRAGMA synchronous=NORMAL;"
        "PRAGMA foreign_keys=ON;"
        "PRAGMA busy_timeout=30000;"
    ),
}
DATABASE_URL = env("DATABASE_URL", "")
if DATABASE_URL:
    DATABASES = {
        "default": dj_database_url.parse(
            DATABASE_URL,
            conn_max_age=env_int("CONN_MAX_AGE", 60),
            conn_health_checks=True,
        )
    }
else:
    VAR_DIR.mkdir(parents=True, exist_ok=True)
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": env("SQLITE_PATH", str(VAR_DIR / "shixun.sqlite3")),
            "OPTIONS": SQLITE_OPTIONS,
            # Kept open as on PostgreSQL: every new SQLite connection runs the PRAGMAs above, and
            # django-q2's ORM broker (close_old_connections before every poll) would otherwise
            # reconnect several times a second while idle.
            "CONN_MAX_AGE": env_int("CONN_MAX_AGE", 60),
        }
    }
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    DATABASES["default"].setdefault("OPTIONS", {}).update(SQLITE_OPTIONS)

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Accounts -----------------------------------------------------------------
AUTH_USER_MODEL = "shixun_accounts.User"
# Axes first: a locked-out account or address is refused before any password is hashed.
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "shixun.accounts.backends.UsernameOrStaffNumberBackend",
]
LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "accounts:home"
LOGOUT_REDIRECT_URL = "home"
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_SAMESITE = "Lax"

# --- Languages ----------------------------------------------------------------
LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", "简体中文"), ("en", "English")]
# themes/locale: the project's own strings outside apps. themes/wagtail_overrides/locale: a short,
# tested list of corrections to Wagtail's zh_Hans admin strings (django and djangojs domains);
# LOCALE_PATHS win over app catalogues, and Wagtail's /admin/jsi18n/ merges them too.
LOCALE_PATHS = [BASE_DIR / "themes" / "locale", BASE_DIR / "themes" / "wagtail_overrides" / "locale"]
TIME_ZONE = env("TIME_ZONE", "Asia/Shanghai")
USE_I18N = True
USE_TZ = True
WAGTAILADMIN_PERMITTED_LANGUAGES = LANGUAGES

# --- Static and media -----------------------------------------------------------
STATIC_URL = "/static/"
STATIC_ROOT = VAR_DIR / "static"
STATICFILES_DIRS = [BASE_DIR / "themes" / "static"]
MEDIA_URL = "/media/"
MEDIA_ROOT = Path(env("MEDIA_ROOT", str(VAR_DIR / "media")))
# Private media (assignment uploads, certificates, exports) lives apart from
# public media and has no URL at all: it is only ever streamed by a view that
# checks object-level permission first.
PRIVATE_MEDIA_ROOT = Path(env("PRIVATE_MEDIA_ROOT", str(VAR_DIR / "private")))
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "private": {
        "BACKEND": "shixun.config.storage.PrivateFileSystemStorage",
        "OPTIONS": {"location": str(PRIVATE_MEDIA_ROOT)},
    },
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
FILE_UPLOAD_PERMISSIONS = 0o640
DATA_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
FILE_UPLOAD_MAX_MEMORY_SIZE = 2 * 1024 * 1024

# --- Cache ----------------------------------------------------------------------
REDIS_URL = env("REDIS_URL", "")
if REDIS_URL:
    # Django's Redis backend, with one client per pool instead of one per operation (config/cache.py).
    CACHES = {"default": {"BACKEND": "shixun.config.cache.RedisCache", "LOCATION": REDIS_URL}}
    # Sessions are read on every request: with a shared cache, read them from
    # Redis and keep the database copy only as the durable fallback
    # (write-through), so a Redis restart logs nobody out.
    SESSION_ENGINE = "django.contrib.sessions.backends.cached_db"
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

# --- H5P statements -----------------------------------------------------------
# An xAPI statement that changes nothing a module holds (most are "interacted",
# "attempted", "progressed") commits on PostgreSQL without waiting for the disk:
# an operating-system crash could lose the last fraction of a second of such
# statements, never a score, a completion or an hour of credit, which always
# commit durably. False makes every statement's commit durable.
SHIXUN_H5P_ASYNC_COMMIT_UNCHANGED = env_bool("SHIXUN_H5P_ASYNC_COMMIT_UNCHANGED", True)

# Stored transcript exports (school and district files of many teachers) are
# deleted this many days after they are prepared (schools.jobs.expire_exports).
SHIXUN_EXPORT_RETENTION_DAYS = env_int("SHIXUN_EXPORT_RETENTION_DAYS", 7)

# --- Background jobs (django-q2) ---------------------------------------------
# Delivery is at least once: a task whose worker dies is delivered again after
# `retry` seconds (ORM broker), so `timeout` must stay below `retry` and every
# task must be idempotent. `max_attempts` is finite so a poisoned task cannot
# loop for ever. config.checks refuses to start with a configuration that
# breaks these rules.
Q_CLUSTER = {
    "name": "shixun",
    "workers": env_int("Q_WORKERS", 2),
    "timeout": env_int("Q_TIMEOUT", 60),
    "retry": env_int("Q_RETRY", 90),
    "max_attempts": env_int("Q_MAX_ATTEMPTS", 5),
    # Successful task results are not kept (failures always are): the facts
    # live in Shixun's own tables, and with a positive limit django-q2's
    # monitor prunes old results under a lock after every task, which the
    # credit-posting benchmark showed as a throughput ceiling.
    "save_limit": env_int("Q_SAVE_LIMIT", -1),
    # Each recycle is a full Django start-up of a worker; the default (500)
    # stalled posting every few hundred tasks in the benchmark.
    "recycle": env_int("Q_RECYCLE", 5000),
    "queue_limit": 100,
    "catch_up": False,
    "label": _("Background jobs"),
}
if REDIS_URL:
    Q_CLUSTER["redis"] = REDIS_URL
else:
    Q_CLUSTER["orm"] = "default"
    # The ORM broker sleeps this long whenever it finds its queue empty, so a completion that arrives
    # then waits up to this long before it is posted. With persistent connections an empty poll
    # costs under a millisecond of CPU. 0.05 s keeps completion-to-transcript p95 within twice
    # PostgreSQL's with Redis (issue 8's embedded rule; 0.1 s read 0.11 s against 0.04 s in the idle
    # run of 21:49) for about 2% of a core when idle (bench/ANALYSIS.md, "the embedded default's
    # posting latency" and the run of 21:49).
    Q_CLUSTER["poll"] = env_float("Q_POLL", 0.05)

# --- Email ----------------------------------------------------------------------
EMAIL_BACKEND = env("EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend")
EMAIL_FILE_PATH = env("EMAIL_FILE_PATH", str(VAR_DIR / "mail"))
EMAIL_HOST = env("EMAIL_HOST", "localhost")
EMAIL_PORT = env_int("EMAIL_PORT", 25)
EMAIL_HOST_USER = env("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = env("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", False)
DEFAULT_FROM_EMAIL = env("DEFAULT_FROM_EMAIL", "Shixun <noreply@localhost>")

# --- Wagtail --------------------------------------------------------------------
WAGTAIL_SITE_NAME = "师训 Shixun"
WAGTAILADMIN_BASE_URL = env("SITE_URL", "http://shixun.localhost:8000")
# Wagtail's database backend, with Chinese queries matched as substrings (the admin's page, image and
# document searches find 课标 in 义务教育新课标解读; shixun.config.search).
WAGTAILSEARCH_BACKENDS = {"default": {"BACKEND": "shixun.config.search"}}
WAGTAILDOCS_SERVE_METHOD = "serve_view"
# After the permission hook (courses.documents), Wagtail's document view sends the file through this
# sendfile backend: HTTP Range from Python (206, 416), or the X-Accel-Redirect hand-off to nginx when
# SHIXUN_MEDIA_X_ACCEL_PREFIX is set (README, "Serving media"). H5P files use the same module.
SENDFILE_BACKEND = "shixun.config.media_files"
SHIXUN_MEDIA_X_ACCEL_PREFIX = env("SHIXUN_MEDIA_X_ACCEL_PREFIX", "")
# Media on object storage: a permitted file is a redirect to a presigned URL (media_files.remote_file_redirect);
# the store's origin (e.g. https://media.example.edu.cn) must then be allowed to <video> by the page's CSP.
SHIXUN_CSP_MEDIA_SRC = env_list("SHIXUN_CSP_MEDIA_SRC")
# Documents and images are checked by their content like assignment files (courses.media_uploads).
WAGTAILDOCS_DOCUMENT_FORM_BASE = "shixun.courses.media_uploads.DocumentForm"
WAGTAILIMAGES_IMAGE_FORM_BASE = "shixun.courses.media_uploads.ImageForm"
WAGTAILDOCS_EXTENSIONS = [
    *("pdf", "doc", "docx", "ppt", "pptx", "xls", "xlsx", "txt", "md"),
    *("jpg", "jpeg", "png", "gif", "webp", "heic", "heif"),
    *("mp4", "m4v", "webm"),
]
WAGTAILDOCS_CONTENT_TYPES = {"m4v": "video/mp4", "md": "text/plain"}
# Every document downloads as an attachment (a PDF shown inline runs in the
# site's origin) except lesson videos, which a <video> element plays.
WAGTAILDOCS_INLINE_CONTENT_TYPES = ["video/mp4", "video/webm"]
SHIXUN_DOCUMENT_MAX_UPLOAD_MB = env_int("SHIXUN_DOCUMENT_MAX_UPLOAD_MB", 500)
# The district's conversion: minutes of active study one credit hour (学时) stands for.
SHIXUN_MINUTES_PER_CREDIT_HOUR = env_int("SHIXUN_MINUTES_PER_CREDIT_HOUR", 45)
WAGTAILIMAGES_MAX_IMAGE_PIXELS = 64_000_000
# Wagtail's oEmbed finder (its default), built on first use rather than by wagtail.embeds' ready() in every
# process: ~11 ms of each command's start-up (config/embed_finders.py).
WAGTAILEMBEDS_FINDERS = [{"class": "shixun.config.embed_finders"}]
# Nothing in the admin may call outside addresses: districts run Shixun on
# closed networks too.
WAGTAIL_ENABLE_UPDATE_CHECK = False
WAGTAIL_GRAVATAR_PROVIDER_URL = None
WAGTAILADMIN_COMMENTS_ENABLED = True

# --- H5P ------------------------------------------------------------------------
# H5P packages carry their authors' JavaScript, so they play from a separate
# origin that never sees the site's cookies: a sub-domain of the site's host,
# so that browsers treat the player as same-site and give it storage (H5P core
# needs localStorage; Chromium refuses it to cross-site frames when third-party
# cookies are blocked). The session and CSRF cookies are host-only (no
# SESSION_COOKIE_DOMAIN / CSRF_COOKIE_DOMAIN): never sent to the content host.
# In `make demo` the site is http://shixun.localhost:8000 and the content
# origin http://h5p.shixun.localhost:8000 (browsers resolve *.localhost to
# loopback; one server, the Host header decides). Plain "localhost" cannot
# serve: browsers treat it as a top-level domain, so h5p.localhost would be
# another site. In production use e.g. h5p.example.edu.cn for www.example.edu.cn.
SHIXUN_H5P_CONTENT_ORIGIN = env("SHIXUN_H5P_CONTENT_ORIGIN", "http://h5p.shixun.localhost:8000")
SHIXUN_CSP_FRAME_SRC = [SHIXUN_H5P_CONTENT_ORIGIN]
# The content host must pass Django's host check; its middleware answers it.
ALLOWED_HOSTS = with_content_host(ALLOWED_HOSTS, SHIXUN_H5P_CONTENT_ORIGIN)

# --- Security headers (see themes.middleware) ------------------------------------
# SAMEORIGIN, not DENY: Wagtail's live preview shows the page in a same-origin
# iframe. check --deploy warns about it (W019), so that one check is silenced.
X_FRAME_OPTIONS = "SAMEORIGIN"
SILENCED_SYSTEM_CHECKS = ["security.W019"]
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"

# --- Operations: errors, logs, health, metrics (README, "Production") -----------------
# Unhandled errors go to SENTRY_DSN (any Sentry-compatible service) when set,
# otherwise by mail to ADMINS ("Name <address>, address2").
SENTRY_DSN = env("SENTRY_DSN", "")
ADMINS = [(name or address, address) for name, address in getaddresses([env("ADMINS", "")]) if address]
SERVER_EMAIL = env("SERVER_EMAIL", "root@localhost")
if SENTRY_DSN:
    from shixun.config.errors import init_error_reporting

    init_error_reporting(SENTRY_DSN, environment=env("SENTRY_ENVIRONMENT", "production"),
                         release=env("SENTRY_RELEASE", ""))

# /readyz answers 503 past any of these limits.
SHIXUN_READY_MAX_QUEUE_BACKLOG = env_int("SHIXUN_READY_MAX_QUEUE_BACKLOG", 1000)
# Completions are posted within seconds; reconciliation (every minute) posts what a lost task missed.
SHIXUN_READY_MAX_POSTING_LAG_SECONDS = env_int("SHIXUN_READY_MAX_POSTING_LAG_SECONDS", 900)
SHIXUN_READY_MIN_FREE_DISK_MB = env_int("SHIXUN_READY_MIN_FREE_DISK_MB", 1024)

# /metrics answers only these client addresses (REMOTE_ADDR; networks allowed, e.g. 10.0.0.0/8)
# or a request with "Authorization: Bearer <SHIXUN_METRICS_TOKEN>". Neither set: nobody.
SHIXUN_METRICS_ALLOWED_IPS = env_list("SHIXUN_METRICS_ALLOWED_IPS", "")
SHIXUN_METRICS_TOKEN = env("SHIXUN_METRICS_TOKEN", "")
# A heartbeat or xAPI statement this slow (ms) keeps its access-log line at INFO (config.logs.access_log_level).
SHIXUN_ACCESS_LOG_SLOW_MS = env_int("SHIXUN_ACCESS_LOG_SLOW_MS", 1000)

# Reverse proxies (addresses or networks) whose X-Forwarded-For names the client: login throttling and
# request limits count per client address (shixun.config.ratelimit.client_address).
SHIXUN_TRUSTED_PROXIES = env_list("SHIXUN_TRUSTED_PROXIES", "")

# JSON lines (LOG_FORMAT=json, production's default) or plain text.
LOGGING = logging_config(level=env("LOG_LEVEL", "INFO"), json_lines=env("LOG_FORMAT", "text") == "json",
                         sentry=bool(SENTRY_DSN))
