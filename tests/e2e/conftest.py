"""A real Shixun site for browser journeys: web server + django-q2 cluster.

The site runs in subprocesses against its own database (a fresh SQLite file,
or SHIXUN_E2E_DATABASE_URL), migrated and loaded with the demo data, exactly as
`make demo` runs it. Tests talk to it only through a browser or HTTP, and read
its database through `site.manage(...)`, never through the test's own ORM.
"""

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "test-artifacts" / "screenshots"
PHONE = {"width": 360, "height": 740}
DESKTOP = {"width": 1280, "height": 860}


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class RunningSite:
    url: str
    content_url: str
    env: dict
    processes: list = field(default_factory=list)

    def manage(self, *args: str, check: bool = True, timeout: float = 120) -> str:
        result = subprocess.run(
            [sys.executable, str(ROOT / "manage.py"), *args],
            env=self.env, cwd=ROOT, capture_output=True, text=True, timeout=timeout,
        )
        if check and result.returncode != 0:
            raise AssertionError(f"manage.py {' '.join(args)} failed:\n{result.stdout}\n{result.stderr}")
        return result.stdout

    def shell(self, code: str) -> str:
        return self.manage("shell", "-c", code)

    def stop(self) -> None:
        # The cluster's parent can outlive SIGTERM: signal the whole process
        # group, then make sure with SIGKILL, so nothing is left running.
        for process in self.processes:
            try:
                os.killpg(process.pid, signal.SIGTERM)
            except ProcessLookupError:
                continue
        deadline = time.monotonic() + 8
        for process in self.processes:
            try:
                process.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                pass
            try:
                os.killpg(process.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass


def running_site(tmp_path_factory):
    """The `site` fixture's body. The fixture itself is in tests/conftest.py, so that the browser tests
    outside tests/e2e (tests/quizzes/test_browser.py) share this worker's one running site."""
    var_dir = tmp_path_factory.mktemp("site")
    port = _free_port()
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "DJANGO_ALLOW_ASYNC_UNSAFE")}
    env.update(
        DJANGO_SETTINGS_MODULE="shixun.config.settings.dev",
        SHIXUN_VAR_DIR=str(var_dir),
        # As in `make demo`: the site on shixun.localhost, H5P content on its
        # sub-domain (same-site), both answered by the one server on loopback.
        SITE_URL=f"http://shixun.localhost:{port}",
        SHIXUN_H5P_CONTENT_ORIGIN=f"http://h5p.shixun.localhost:{port}",
        # As in `make demo`: mail is printed (into site.log). The file-based
        # backend needs EMAIL_FILE_PATH, which the settings do not read from the
        # environment, so every request that sent mail failed with a TypeError.
        EMAIL_BACKEND="django.core.mail.backends.console.EmailBackend",
        PYTHONUNBUFFERED="1",
        # A study minute lasts 50 ms and heartbeats come every half second: a 3-hour lesson is studied in 7 s.
        SHIXUN_STUDY_SECONDS_PER_MINUTE="0.05",
        SHIXUN_STUDY_HEARTBEAT_SECONDS="0.5",
    )
    if os.environ.get("SHIXUN_E2E_DATABASE_URL"):
        env["DATABASE_URL"] = os.environ["SHIXUN_E2E_DATABASE_URL"]
    running = RunningSite(
        url=f"http://shixun.localhost:{port}", content_url=f"http://h5p.shixun.localhost:{port}", env=env
    )
    # Generous bounds: on a loaded machine migrating Wagtail alone can take minutes.
    running.manage("migrate", "--noinput", timeout=900)
    running.manage("seed_demo", timeout=600)
    log = open(var_dir / "site.log", "w")  # noqa: SIM115 - closed at the end of the session
    for command in (["runserver", f"127.0.0.1:{port}", "--noreload"], ["qcluster"]):
        running.processes.append(
            subprocess.Popen(
                [sys.executable, str(ROOT / "manage.py"), *command],
                env=env, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
            )
        )
    try:
        # Python's resolver may not know *.localhost (browsers do): ask the loopback address.
        _wait_until_up(f"http://127.0.0.1:{port}")
        yield running
    finally:
        running.stop()
        log.close()


def _wait_until_up(url: str, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(url + "/", timeout=2) as response:  # noqa: S310 - loopback only
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.3)
    raise AssertionError(f"the site did not come up at {url}")


@pytest.fixture
def screenshot(request):
    """screenshot(page, name): save the page at phone and desktop width for people to look at."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)

    def take(page, name: str) -> None:
        original = page.viewport_size
        for label, size in (("phone", PHONE), ("desktop", DESKTOP)):
            page.set_viewport_size(size)
            page.screenshot(path=str(ARTIFACTS / f"{request.node.name}-{name}-{label}.png"), full_page=True)
        if original:
            page.set_viewport_size(original)

    return take


def log_in(page, site, username, password="shixun2026"):  # noqa: S107 - the demo password
    page.goto(site.url + "/accounts/login/")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", password)
    # The login form's own button: the header's language switcher is a form too,
    # and it comes first in the page.
    page.locator("form:has(input[name=password]) button[type=submit]").click()
    page.wait_for_load_state()


def pytest_collection_modifyitems(config, items):
    # One running site per test session is plenty: keep every browser journey
    # on the same xdist worker (`--dist loadgroup` in the Makefile).
    for item in items:
        if "tests/e2e/" in str(item.fspath):
            item.add_marker(pytest.mark.xdist_group("e2e"))
            item.add_marker(pytest.mark.e2e)
