"""System checks that refuse to start Shixun with an unsafe queue configuration.

django-q2 delivers a task at least once: with the ORM broker a task whose
worker died is handed out again after `retry` seconds. If `timeout` were not
below `retry`, a task that is merely slow would be delivered a second time
while the first run is still going; with no finite `max_attempts`, a task that
always fails would be retried for ever. Credit posting relies on both rules.
"""

from django.conf import settings
from django.core.checks import Error, Tags, register


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
    return errors
