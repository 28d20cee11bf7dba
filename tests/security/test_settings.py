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
CONTENT_MIDDLEWARE = "assessments.h5p.middleware.ContentOriginMiddleware"


def test_the_content_origin_is_isolated_in_the_real_settings():
    """First in the stack (so no session is read for it), on another origin, and the only frame source."""
    assert settings.MIDDLEWARE[0] == CONTENT_MIDDLEWARE
    content = urlsplit(settings.SHIXUN_H5P_CONTENT_ORIGIN)
    site = urlsplit(settings.WAGTAILADMIN_BASE_URL)
    assert (content.hostname, content.port) != (site.hostname, site.port)
    assert settings.SHIXUN_H5P_CONTENT_ORIGIN.rstrip("/") in settings.SHIXUN_CSP_FRAME_SRC
    assert not any(s in ("*", "http:", "https:") for s in settings.SHIXUN_CSP_FRAME_SRC)


PRODUCTION_ENV = {
    "DJANGO_SETTINGS_MODULE": "config.settings.production",
    "SECRET_KEY": "x" * 30 + "-production-secret-for-the-security-suite-only",
    "DATABASE_URL": "postgres://shixun@127.0.0.1:5432/shixun",
    "ALLOWED_HOSTS": "shixun.example.edu.cn",
    "SITE_URL": "https://shixun.example.edu.cn",
    "SHIXUN_H5P_CONTENT_ORIGIN": "https://h5p.shixun-content.example.net",
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
]}))
"""


def test_production_settings_send_cookies_and_pages_only_over_https():
    """What `check --deploy` (tests/platform_checks) does not spell out: the values themselves."""
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "DJANGO_SETTINGS_MODULE")}
    env.update(PRODUCTION_ENV, PYTHONPATH=f"{ROOT}:{ROOT / 'platform'}")
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
