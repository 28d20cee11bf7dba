"""Errors reach an operator: Sentry (or any Sentry-compatible service) when SENTRY_DSN is set.

Without a DSN, Django mails the traceback of every unhandled error to ADMINS
(config.logs.logging_config); with one, the event goes to the DSN instead and
the mail is switched off, so an operator is not told twice. The SDK's
defaults send no personal data (no user names, cookies or IP addresses; we
leave its PII options alone) and we turn off performance traces.
"""

import sentry_sdk
from sentry_sdk.integrations.django import DjangoIntegration


def init_error_reporting(dsn: str, *, environment: str = "production", release: str | None = None):
    return sentry_sdk.init(
        dsn=dsn,
        integrations=[DjangoIntegration()],
        environment=environment,
        release=release or None,
        traces_sample_rate=0.0,
    )
