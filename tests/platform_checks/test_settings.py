"""Settings sanity: the embedded default, production's deploy checks, queue rules."""

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.checks import run_checks

ROOT = Path(__file__).resolve().parents[2]
PRODUCTION_ENV = {
    "DJANGO_SETTINGS_MODULE": "shixun.config.settings.production",
    "SECRET_KEY": "x" * 30 + "-production-secret-for-the-deploy-check-only",
    "DATABASE_URL": "postgres://shixun@127.0.0.1:5432/shixun",
    "ALLOWED_HOSTS": "shixun.example.edu.cn",
    "REDIS_URL": "redis://127.0.0.1:6379/0",
}


def run_manage(*args, env=None):
    # DJANGO_ALLOW_ASYNC_UNSAFE is set by the browser fixture for Playwright's
    # sake; it must not leak into a deploy check run in the same process.
    unwanted = ("DATABASE_URL", "DJANGO_SETTINGS_MODULE", "DJANGO_ALLOW_ASYNC_UNSAFE")
    full_env = {k: v for k, v in os.environ.items() if k not in unwanted}
    full_env.update(env or {})
    return subprocess.run(
        [sys.executable, str(ROOT / "manage.py"), *args], capture_output=True, text=True, env=full_env, cwd=ROOT
    )


def test_platform_is_not_a_package():
    """A package named `platform` would shadow the standard library (uuid, pytest, Django break)."""
    assert not (ROOT / "platform" / "__init__.py").exists()
    import platform

    assert callable(platform.system)


def test_every_shixun_app_has_a_prefixed_label():
    from django.apps import apps

    source_dirs = [ROOT / name for name in ("platform", "courses", "assessments", "themes")]
    ours = [c for c in apps.get_app_configs() if any(Path(c.path).resolve().is_relative_to(d) for d in source_dirs)]
    assert ours, "no Shixun apps found"
    for config in ours:
        assert config.label.startswith("shixun_"), f"{config.name} has label {config.label}"


def test_check_deploy_is_clean_with_production_settings():
    result = run_manage("check", "--deploy", "--fail-level", "WARNING", env=PRODUCTION_ENV)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_check_deploy_refuses_production_without_a_shared_cache():
    env = {k: v for k, v in PRODUCTION_ENV.items() if k != "REDIS_URL"}
    result = run_manage("check", "--deploy", env=env)
    assert result.returncode != 0
    assert "shixun.E004" in result.stderr
    assert "shixun.W001" not in result.stdout + result.stderr


def test_production_without_a_shared_cache_is_an_error_at_start_up_not_only_on_deploy_checks():
    """`migrate` and every command that runs the checks stop, not just `check --deploy`."""
    env = {k: v for k, v in PRODUCTION_ENV.items() if k != "REDIS_URL"}
    result = run_manage("check", env=env)
    assert result.returncode != 0
    assert "shixun.E004" in result.stderr


def test_check_deploy_still_warns_about_a_process_local_cache_outside_production():
    result = run_manage("check", "--deploy", "--fail-level", "WARNING",
                        env={"DJANGO_SETTINGS_MODULE": "shixun.config.settings.dev"})
    assert result.returncode != 0
    assert "shixun.W001" in result.stdout + result.stderr
    assert "shixun.E004" not in result.stdout + result.stderr


def test_production_refuses_an_insecure_secret_key():
    result = run_manage("check", env={**PRODUCTION_ENV, "SECRET_KEY": "django-insecure-short"})
    assert result.returncode != 0
    assert "SECRET_KEY" in result.stderr


@pytest.mark.parametrize(
    "env,error_id",
    [
        ({"Q_TIMEOUT": "120", "Q_RETRY": "90"}, "shixun.E001"),
        ({"Q_MAX_ATTEMPTS": "0"}, "shixun.E002"),
        ({"Q_POLL": "0"}, "shixun.E005"),
    ],
)
def test_unsafe_queue_configuration_refuses_to_start(env, error_id):
    result = run_manage("check", env={"DJANGO_SETTINGS_MODULE": "shixun.config.settings.dev", **env})
    assert result.returncode != 0
    assert error_id in result.stderr


def test_default_queue_configuration_passes_the_checks():
    from shixun.config.checks import check_queue_configuration

    assert check_queue_configuration() == [] or all(e.id.startswith("shixun") for e in check_queue_configuration())
    from shixun.config.settings import base

    assert base.Q_CLUSTER["timeout"] < base.Q_CLUSTER["retry"]
    assert base.Q_CLUSTER["max_attempts"] > 0
    assert run_checks() == []


def test_embedded_default_is_sqlite_in_wal_mode_with_busy_timeout(tmp_path):
    code = (
        "import django; django.setup();"
        "from django.db import connection; c = connection.cursor();"
        "print(connection.vendor, c.execute('PRAGMA journal_mode').fetchone()[0],"
        " c.execute('PRAGMA busy_timeout').fetchone()[0])"
    )
    env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
    env.update(DJANGO_SETTINGS_MODULE="shixun.config.settings.dev", SHIXUN_VAR_DIR=str(tmp_path),
               PYTHONPATH=str(ROOT))
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, cwd=ROOT)
    assert result.stdout.split() == ["sqlite", "wal", "30000"], result.stderr


def test_embedded_default_keeps_its_sqlite_connection_between_requests(tmp_path):
    """django-q2's ORM broker calls close_old_connections() before every poll, as a request's end does.

    With SQLite's connections not kept, every poll (ten a second while idle) opened a new connection and ran
    the PRAGMAs again.
    """
    code = (
        "import django; django.setup();"
        "from django.db import close_old_connections, connection;"
        "connection.ensure_connection(); first = connection.connection;"
        "close_old_connections(); connection.ensure_connection();"
        "print(connection.vendor, connection.connection is first)"
    )
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "CONN_MAX_AGE")}
    env.update(DJANGO_SETTINGS_MODULE="shixun.config.settings.dev", SHIXUN_VAR_DIR=str(tmp_path),
               PYTHONPATH=str(ROOT))
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, cwd=ROOT)
    assert result.stdout.split() == ["sqlite", "True"], result.stderr


def test_private_media_has_no_url_and_lives_apart_from_public_media(settings):
    from django.core.files.storage import storages

    private = storages["private"]
    assert Path(private.location).resolve() != Path(settings.MEDIA_ROOT).resolve()
    assert not str(Path(private.location).resolve()).startswith(str(Path(settings.MEDIA_ROOT).resolve()))
    with pytest.raises(ValueError):
        private.url("anything.pdf")


@pytest.mark.django_db
def test_private_media_is_not_served_by_any_url(client, settings):
    from django.core.files.base import ContentFile
    from django.core.files.storage import storages

    name = storages["private"].save("secret/report.pdf", ContentFile(b"%PDF-1.4 secret"))
    for prefix in ("/media/", "/private/", "/static/"):
        assert client.get(prefix + name).status_code == 404


def test_shixun_settings_are_kept_once_read_and_forgotten_when_a_setting_changes(settings):
    from django.test import override_settings

    from shixun.config.conf import DEFAULTS, shixun_settings

    settings.SHIXUN_RATE_LIMIT_HEARTBEAT = "7/m"
    assert shixun_settings.SHIXUN_RATE_LIMIT_HEARTBEAT == "7/m"
    assert shixun_settings._kept["SHIXUN_RATE_LIMIT_HEARTBEAT"] == "7/m"  # kept: no settings lookup next time
    with override_settings(SHIXUN_RATE_LIMIT_HEARTBEAT="9/m"):
        assert shixun_settings.SHIXUN_RATE_LIMIT_HEARTBEAT == "9/m"
    assert shixun_settings.SHIXUN_RATE_LIMIT_HEARTBEAT == "7/m"
    del settings.SHIXUN_RATE_LIMIT_HEARTBEAT  # not set at all: the default again
    assert shixun_settings.SHIXUN_RATE_LIMIT_HEARTBEAT == DEFAULTS["SHIXUN_RATE_LIMIT_HEARTBEAT"]



def test_a_kept_shixun_setting_is_read_without_asking_django_settings(settings, monkeypatch):
    """The second read of a setting neither looks it up in Django's settings nor asks LazySettings for its
    object (a `_Setting` on the class reads LazySettings' own attributes); a change is still seen."""
    from django.conf import LazySettings

    from shixun.config.conf import shixun_settings

    settings.SHIXUN_RATE_LIMIT_XAPI = "11/m"
    assert shixun_settings.SHIXUN_RATE_LIMIT_XAPI == "11/m"
    asked = []
    original = LazySettings.__getattribute__

    def counting(self, name):
        asked.append(name)
        return original(self, name)

    monkeypatch.setattr(LazySettings, "__getattribute__", counting)
    assert shixun_settings.SHIXUN_RATE_LIMIT_XAPI == "11/m"
    assert asked == []
    monkeypatch.undo()
    settings.SHIXUN_RATE_LIMIT_XAPI = "12/m"
    assert shixun_settings.SHIXUN_RATE_LIMIT_XAPI == "12/m"


def test_a_name_that_is_not_a_shixun_setting_is_refused():
    from shixun.config.conf import _Setting, _ShixunSettings, shixun_settings

    with pytest.raises(AttributeError, match="SHIXUN_NO_SUCH_THING is not a Shixun setting"):
        shixun_settings.SHIXUN_NO_SUCH_THING  # noqa: B018
    assert not hasattr(shixun_settings, "DEBUG")  # Django's own settings are not Shixun's
    assert isinstance(_ShixunSettings.SHIXUN_RATE_LIMIT_XAPI, _Setting)  # on the class: the descriptor itself
