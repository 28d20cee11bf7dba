"""Production: PostgreSQL, Redis, object storage; everything from the environment.

Required: SECRET_KEY, DATABASE_URL, ALLOWED_HOSTS, SITE_URL, and REDIS_URL (a
process-local cache is an error here: shixun.E004). Recommended: EMAIL_*,
ADMINS or SENTRY_DSN (who hears about errors), SHIXUN_METRICS_TOKEN, and
S3-compatible object storage (AWS_STORAGE_BUCKET_NAME and friends) for media.
"""

from django.core.exceptions import ImproperlyConfigured

from shixun.config.logs import logging_config

from .base import *  # noqa: F401,F403
from .base import (
    DATABASE_URL,
    SECRET_KEY,
    SENTRY_DSN,
    SHIXUN_H5P_CONTENT_ORIGIN,
    env,
    env_bool,
    env_int,
    env_list,
    with_content_host,
)

DEBUG = False
if not DATABASE_URL:
    raise ImproperlyConfigured("Production needs DATABASE_URL (PostgreSQL).")
if SECRET_KEY.startswith("django-insecure") or len(SECRET_KEY) < 50:
    raise ImproperlyConfigured("Production needs a long random SECRET_KEY.")

ALLOWED_HOSTS = with_content_host(env_list("ALLOWED_HOSTS"), SHIXUN_H5P_CONTENT_ORIGIN)
# Every web process must share one cache (config.checks: shixun.E004 otherwise).
SHIXUN_REQUIRE_SHARED_CACHE = True
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS")

SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", True)
SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 31536000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = True
SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", True)
SESSION_COOKIE_SECURE = True
CSRF_COOKIE_SECURE = True
# The H5P content host is a sub-domain of the site (same-site), and its
# scripts could set a cookie for the parent domain that the site would then
# read as its own. Browsers accept a "__Host-" cookie only from the host
# itself (Secure, Path=/, no Domain), so the site's cookies cannot be forged
# that way. Renaming them logs everyone out once after the upgrade.
SESSION_COOKIE_NAME = "__Host-sessionid"
CSRF_COOKIE_NAME = "__Host-csrftoken"

STORAGES = {
    **STORAGES,  # noqa: F405
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}
# The manifest's hashed names already change with the files, so Wagtail's admin adds no "?v=" to them. Left
# unset, Wagtail finds that out by building the static storage (whitenoise, its manifest) when
# wagtail.admin.staticfiles is imported, during every process's start-up; set, the storage is built on first use.
WAGTAILADMIN_STATIC_FILE_VERSION_STRINGS = False
if env("AWS_STORAGE_BUCKET_NAME"):
    # Object storage for media. Private media goes to its own bucket (or
    # prefix) with signed, short-lived URLs never handed to browsers: views
    # stream it after their permission check.
    _S3 = {"bucket_name": env("AWS_STORAGE_BUCKET_NAME"), "default_acl": None, "querystring_auth": True}
    STORAGES["default"] = {"BACKEND": "storages.backends.s3.S3Storage", "OPTIONS": {**_S3, "location": "media"}}
    STORAGES["private"] = {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {
            **_S3,
            "bucket_name": env("AWS_PRIVATE_BUCKET_NAME", env("AWS_STORAGE_BUCKET_NAME")),
            "location": "private",
            "querystring_expire": 60,
        },
    }

# JSON lines on stderr. WARNING and up by default, but the ledger's reconciliation
# ("posted N missing") and one access line per request (with its request id) are
# kept at INFO: they are what an operator reads after an incident.
LOGGING = logging_config(level=env("LOG_LEVEL", "WARNING"), json_lines=env("LOG_FORMAT", "json") == "json",
                         sentry=bool(SENTRY_DSN), requests_level="INFO")
LOGGING["loggers"]["shixun.transcripts"] = {"level": "INFO"}
