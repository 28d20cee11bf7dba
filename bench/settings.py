"""Benchmark settings: production's settings, served over plain HTTP on loopback.

Everything that decides performance is production's (DEBUG off, persistent
database connections, Redis cache and broker when REDIS_URL is set, WhiteNoise
with the manifest storage, the same middleware). Only what cannot work on a
loopback benchmark without TLS changes: no HTTPS redirect or secure-only
cookies (the load generator speaks HTTP), and a URLconf that adds the
one-query baseline view. Used by gunicorn, the django-q2 cluster and the
in-process measurements of bench/run.py; never by the apps themselves.
"""

import os

os.environ.setdefault("SECRET_KEY", "bench-" + "x" * 60)
os.environ.setdefault("ALLOWED_HOSTS", "127.0.0.1,localhost")
os.environ.setdefault("SECURE_SSL_REDIRECT", "false")

from shixun.config.settings.production import *  # noqa: E402,F401,F403
from shixun.config.settings.production import env  # noqa: E402

ROOT_URLCONF = "bench.urls"
SESSION_COOKIE_SECURE = False
CSRF_COOKIE_SECURE = False
# "__Host-" cookies must be Secure: plain names over plain HTTP.
SESSION_COOKIE_NAME = "sessionid"
CSRF_COOKIE_NAME = "csrftoken"
SECURE_HSTS_SECONDS = 0
STATIC_ROOT = env("SHIXUN_BENCH_STATIC_ROOT", STATIC_ROOT)  # noqa: F405
# The load generator sends no Referer; CSRF over plain HTTP does not check it.
CSRF_TRUSTED_ORIGINS = ["http://127.0.0.1", "http://localhost"]
# LOGGING is production's (JSON lines on stderr, the access log at INFO): what a request costs includes
# its log line. bench/services.py sends each gunicorn's and qcluster's stderr to a file under
# bench/work/logs, so nothing waits on a pipe.
# The SQLite pass is the embedded default: one machine, no Redis. A process-local cache is what that
# deployment has, so production's check for a shared cache (shixun.E004) does not apply there.
SHIXUN_REQUIRE_SHARED_CACHE = bool(env("REDIS_URL", ""))
# The per-teacher heartbeat limit (20/m) guards against a runaway script; a page beats once in
# SHIXUN_STUDY_HEARTBEAT_SECONDS (30 s). The bench's learners beat far faster: the heartbeat scenario up to
# 35 a second each (1,400/s over 40 learners), the saturation search back to back with no think time. Under
# production's limit it would measure the 429 answers. Raised, not switched off: every beat still pays
# the same counter check in Redis as in production.
SHIXUN_RATE_LIMIT_HEARTBEAT = "100000/m"
# The xAPI scenario puts the statements of thousands of learners' players on the bench's few
# sessions (40 in --quick, 200 in the full run): at 500/s that is far past the production limit of
# 240 a minute per learner, which would answer 429 and measure the limiter, not ingestion. The
# limiter still runs (and costs what it costs) on every statement; production keeps its default.
SHIXUN_RATE_LIMIT_XAPI = "1000000/m"
