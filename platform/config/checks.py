"""System checks that refuse to start Shixun with an unsafe queue configuration.

django-q2 delivers a task at least once: with the ORM broker a task whose
worker died is handed out again after `retry` seconds. If `timeout` were not
below `retry`, a task that is merely slow would be delivered a second time
while the first run is still going; with no finite `max_attempts`, a task that
always fails would be retried for ever. Credit posting relies on both rules.
"""

from django.conf import settings
from django.core.checks import Error, Tags, Warning, register

from shixun.config.conf import shixun_settings


@register(Tags.compatibility, deploy=False)
def check_queue_configuration(app_configs=None, **kwargs):
    conf = getattr(settings, "Q_CLUSTER", {})
    errors = []
    timeout, retry = conf.get("timeout"), conf.get("retry")
    if conf.get("sync"):
        return errors
    if timeout is None or retry is None or not timeout < retry:
        errors.append(
            Error(
                "Q_CLUSTER['timeout'] must be set and lower than Q_CLUSTER['retry'].",
                hint="A slow task would otherwise be delivered twice while still running.",
                id="shixun.E001",
            )
        )
    attempts = conf.get("max_attempts")
    if not isinstance(attempts, int) or attempts < 1:
        errors.append(
            Error(
                "Q_CLUSTER['max_attempts'] must be a positive whole number.",
                hint="0 means unlimited retries: a failing task would loop for ever.",
                id="shixun.E002",
            )
        )
    if "orm" not in conf and "redis" not in conf:
        errors.append(Error("Q_CLUSTER needs a broker: 'orm' or 'redis'.", id="shixun.E003"))
    poll = conf.get("poll")
    if "orm" in conf and poll is not None and not (isinstance(poll, int | float) and poll > 0):
        errors.append(
            Error(
                "Q_CLUSTER['poll'] must be a positive number of seconds.",
                hint="With 0 the ORM broker would query the database in a busy loop while its queue is empty.",
                id="shixun.E005",
            )
        )
    return errors


PROCESS_LOCAL_CACHES = (
    "django.core.cache.backends.locmem.LocMemCache",
    "django.core.cache.backends.dummy.DummyCache",
)


def _process_local_cache() -> bool:
    return settings.CACHES.get("default", {}).get("BACKEND", "") in PROCESS_LOCAL_CACHES


@register(Tags.caches, deploy=True)
def check_shared_cache(app_configs=None, **kwargs):
    """Deployments need a cache every web process shares.

    Sessions (cached_db), the Site and branding of each host and the "no
    private pages" flag are read from the cache and deleted from it when an
    editor changes them. With a cache of each process's own, that delete
    reaches only the process that handled the edit: the others would keep
    serving the old branding, or skip the check of a page made private, until
    the entry expires.
    """
    if _process_local_cache() and not shixun_settings.SHIXUN_REQUIRE_SHARED_CACHE:
        return [
            Warning(
                "The default cache is local to each process.",
                hint="Set REDIS_URL so every web process shares one cache (and its invalidations).",
                id="shixun.W001",
            )
        ]
    return []


@register(Tags.caches)
def check_production_cache(app_configs=None, **kwargs):
    """Production settings refuse a process-local cache outright (see check_shared_cache for why).

    Not a deploy-only check: `manage.py migrate` and every other command that
    runs the checks refuse too, so a deployment without REDIS_URL stops at its
    first step instead of serving stale view restrictions.
    """
    if _process_local_cache() and shixun_settings.SHIXUN_REQUIRE_SHARED_CACHE:
        return [
            Error(
                "Production needs a cache shared by every process; the default cache is local to each one.",
                hint="Set REDIS_URL: view restrictions and site settings are invalidated through the cache.",
                id="shixun.E004",
            )
        ]
    return []
