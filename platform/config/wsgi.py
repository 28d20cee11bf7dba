"""WSGI entry point (`gunicorn shixun.config.wsgi` from the repository root, or installed)."""

import os

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "shixun.config.settings.production")

from django.core.wsgi import get_wsgi_application  # noqa: E402
from django.urls import get_resolver  # noqa: E402

from shixun.config.startup import frozen_start_up  # noqa: E402

with frozen_start_up():
    django_application = get_wsgi_application()
    get_resolver().url_patterns  # noqa: B018 - the URLconf and its views load now, frozen with the apps

from shixun.config.lean_routes import with_lean_routes  # noqa: E402 (once the apps are loaded)

# The ordinary study-time heartbeat and xAPI statement are answered in front of Django's handler
# (SHIXUN_LEAN_HEARTBEAT, SHIXUN_LEAN_XAPI).
application = with_lean_routes(django_application)
