"""Local development and `make demo`: debug on, embedded SQLite, console email."""

from .base import *  # noqa: F401,F403
from .base import env, env_bool

DEBUG = env_bool("DEBUG", True)

# Serve static files straight from the finders (no collectstatic needed).
STATIC_ROOT = None
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = True

# Browser journeys (tests/e2e) shrink the study clock so a lesson's minimum passes in seconds.
SHIXUN_STUDY_SECONDS_PER_MINUTE = float(env("SHIXUN_STUDY_SECONDS_PER_MINUTE", "60"))
SHIXUN_STUDY_HEARTBEAT_SECONDS = float(env("SHIXUN_STUDY_HEARTBEAT_SECONDS", "30"))
