"""Background jobs (django-q2), called by dotted path."""

from . import services


def close_expired_attempts() -> int:
    """Submit every quiz attempt whose time limit has passed. Idempotent: safe to run again or twice at once."""
    return services.close_expired_attempts()
