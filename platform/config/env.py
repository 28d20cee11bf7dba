"""Small helpers to read settings from the environment with typed defaults."""

import os


def env(name: str, default: str = "") -> str:
    return os.environ.get(name, default)


def env_bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_int(name: str, default: int) -> int:
    value = os.environ.get(name)
    return default if value in (None, "") else int(value)


def env_float(name: str, default: float) -> float:
    value = os.environ.get(name)
    return default if value in (None, "") else float(value)


def env_list(name: str, default: str = "") -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


def with_content_host(hosts: list[str], content_origin: str) -> list[str]:
    """ALLOWED_HOSTS with the H5P content origin's host added when it is missing."""
    from urllib.parse import urlsplit

    host = urlsplit(content_origin).hostname
    if not host or host in hosts or "*" in hosts:
        return hosts
    return [*hosts, host]
