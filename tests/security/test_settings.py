"""The security settings as deployed (not as the other security tests override them)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from urllib.parse import urlsplit

from django.conf import settings

ROOT = Path(__file__).resolve().parents[2]
CONTENT_MIDDLEWARE = "shixun.assessments.h5p.middleware.ContentOriginMiddleware"


def test_the_content_origin_is_isolated_in_the_real_settings():
    """First in the stack (so no session is read for it), on another origin, and the only frame source."""
    assert settings.MIDDLEWARE[0] == CONTENT_MIDDLEWARE
    content = urlsplit(settings.SHIXUN_H5P_CONTENT_ORIGIN)
    site = urlsplit(settings.WAGTAILADMIN_BASE_URL)
    assert (content.hostname, content.port) != (site.hostname, site.port)
    assert settings.SHIXUN_H5P_CONTENT_ORIGIN.rstrip("/") in settings.SHIXUN_CSP_FRAME_SRC
    assert not any(s in ("*", "http:", "https:") for s in settings.SHIXUN_CSP_FRAME_SRC)


PRODUCTION_ENV = {
    "DJANGO_SETTINGS_MODULE": "shixun.config.settings.production",
    "SECRET_KEY": "x" * 30 + "-production-secret-for-the-security-suite-only",
    "DATABASE_URL": "postgres://shixun@127.0.0.1:5432/shixun",
    "ALLOWED_HOSTS": "shixun.example.edu.cn",
    "SITE_URL": "https://shixun.example.edu.cn",
    # A sub-domain of the site's host: same-site, so browsers give the player storage.
    "SHIXUN_H5P_CONTENT_ORIGIN": "https://h5p.shixun.example.edu.cn",
}
READ_SETTINGS = """
import json, django
from django.conf import settings as s
django.setup()
print(json.dumps({name: getattr(s, name, None) for name in [
    "DEBUG", "SESSION_COOKIE_SECURE", "CSRF_COOKIE_SECURE", "SESSION_COOKIE_HTTPONLY", "SECURE_SSL_REDIRECT",
    "SECURE_HSTS_SECONDS", "SECURE_HSTS_INCLUDE_SUBDOMAINS", "SECURE_CONTENT_TYPE_NOSNIFF", "SECURE_REFERRER_POLICY",
    "SECURE_CROSS_ORIGIN_OPENER_POLICY", "X_FRAME_OPTIONS", "SECURE_PROXY_SSL_HEADER", "MIDDLEWARE",
    "SHIXUN_CSP_FRAME_SRC", "SESSION_COOKIE_SAMESITE", "CSRF_COOKIE_SAMESITE",
    "MEDIA_ROOT", "STATIC_ROOT", "PRIVATE_MEDIA_ROOT", "ALLOWED_HOSTS",
    "SESSION_COOKIE_NAME", "CSRF_COOKIE_NAME", "SESSION_COOKIE_DOMAIN", "CSRF_COOKIE_DOMAIN",
]}, default=str))
"""


def test_production_settings_send_cookies_and_pages_only_over_https():
    """What `check --deploy` (tests/platform_checks) does not spell out: the values themselves."""
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "DJANGO_SETTINGS_MODULE")}
    env.update(PRODUCTION_ENV, PYTHONPATH=str(ROOT))
    result = subprocess.run([sys.executable, "-c", READ_SETTINGS], capture_output=True, text=True, env=env, cwd=ROOT)
    assert result.returncode == 0, result.stderr[-3000:]
    values = json.loads(result.stdout.strip().splitlines()[-1])
    assert values["DEBUG"] is False
    assert values["SESSION_COOKIE_SECURE"] and values["CSRF_COOKIE_SECURE"] and values["SESSION_COOKIE_HTTPONLY"]
    assert values["SESSION_COOKIE_SAMESITE"] == values["CSRF_COOKIE_SAMESITE"] == "Lax"
    assert values["SECURE_SSL_REDIRECT"] is True
    assert values["SECURE_HSTS_SECONDS"] >= 31536000 and values["SECURE_HSTS_INCLUDE_SUBDOMAINS"]
    assert values["SECURE_CONTENT_TYPE_NOSNIFF"] is True
    assert values["SECURE_REFERRER_POLICY"] == "same-origin"
    assert values["SECURE_CROSS_ORIGIN_OPENER_POLICY"] == "same-origin"
    assert values["X_FRAME_OPTIONS"] in ("SAMEORIGIN", "DENY")
    assert values["SECURE_PROXY_SSL_HEADER"] == ["HTTP_X_FORWARDED_PROTO", "https"]
    assert values["MIDDLEWARE"][0] == CONTENT_MIDDLEWARE
    assert values["SHIXUN_CSP_FRAME_SRC"] == [PRODUCTION_ENV["SHIXUN_H5P_CONTENT_ORIGIN"]]
    # The content host is answered (by its middleware) without being listed by hand.
    assert values["ALLOWED_HOSTS"] == ["shixun.example.edu.cn", "h5p.shixun.example.edu.cn"]
    # Host-only cookies, never sent to the content host; "__Host-" names, which a
    # script on that (same-site) host cannot set for the parent domain.
    assert values["SESSION_COOKIE_DOMAIN"] is None and values["CSRF_COOKIE_DOMAIN"] is None
    assert values["SESSION_COOKIE_NAME"] == "__Host-sessionid" and values["CSRF_COOKIE_NAME"] == "__Host-csrftoken"
    assert_private_media_has_no_public_path(values["PRIVATE_MEDIA_ROOT"], values["MEDIA_ROOT"], values["STATIC_ROOT"])


def assert_private_media_has_no_public_path(private, *public_roots) -> None:
    """The web server (and, in development, Django's static view) serves MEDIA_ROOT and STATIC_ROOT as they
    are: private media inside either (or either inside it) would give hand-ins and certificates a public URL."""
    private = Path(private).resolve()
    for public in filter(None, public_roots):  # the test settings collect no static files (STATIC_ROOT None)
        public = Path(public).resolve()
        assert not private.is_relative_to(public) and not public.is_relative_to(private), (private, public)


def test_private_media_has_no_public_path_in_these_settings():
    from wagtail.documents import get_document_model
    from wagtail.images import get_image_model

    assert_private_media_has_no_public_path(settings.PRIVATE_MEDIA_ROOT, settings.MEDIA_ROOT, settings.STATIC_ROOT)
    # Wagtail's libraries (served or linked publicly) never write into private storage.
    for model in (get_document_model(), get_image_model()):
        location = Path(model._meta.get_field("file").storage.location).resolve()
        assert not location.is_relative_to(Path(settings.PRIVATE_MEDIA_ROOT).resolve()), model
