"""ASGI entry point. Puts platform/ on the import path first (see manage.py)."""

import os
import sys
from pathlib import Path

_PLATFORM = str(Path(__file__).resolve().parents[1])
if _PLATFORM not in sys.path:
    sys.path.insert(0, _PLATFORM)

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.production")

from django.core.asgi import get_asgi_application  # noqa: E402

application = get_asgi_application()
