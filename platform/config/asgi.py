"""ASGI entry point (`shixun.config.asgi:application` for an ASGI server, from the repository root or installed)."""

import os

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "shixun.config.settings.production")

from django.core.asgi import get_asgi_application  # noqa: E402

application = get_asgi_application()
