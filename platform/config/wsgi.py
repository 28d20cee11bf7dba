"""WSGI entry point (`gunicorn shixun.config.wsgi` from the repository root, or installed)."""

import os

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "shixun.config.settings.production")

from django.core.wsgi import get_wsgi_application  # noqa: E402

application = get_wsgi_application()
