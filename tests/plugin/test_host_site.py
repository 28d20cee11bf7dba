"""Shixun installed into a fresh `wagtail start` site, as README's "Install into an existing Wagtail site" says.

Builds the wheel, installs it with its dependencies into a new virtual
environment (pip's cache on, so later runs take seconds), creates a host with
`wagtail start`, adds exactly README's lines to its settings and urls, migrates,
loads the demo, runs the host's server and walks one journey over HTTP: the
course page is served under the host's page tree, a teacher logs in, enrols,
studies a module (its page's heartbeats), and its hours reach the transcript.

django-q2 tasks (credit posting) run synchronously in the host
(Q_CLUSTER["sync"] = True), so no cluster process is needed.

Wagtail line: SHIXUN_PLUGIN_WAGTAIL (e.g. "7.4", "8.0"); unset, the version
this environment has. `make test` runs it once per supported line.
"""

import json
import os
import re
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests

pytestmark = pytest.mark.plugin

ROOT = Path(__file__).resolve().parents[2]
README = ROOT / "README.md"
DEMO_PASSWORD = "shixun2026"  # noqa: S105 - the published demo password
TEACHER = "t0013"  # a demo teacher not yet enrolled in the open course


def wagtail_line() -> str:
    configured = os.environ.get("SHIXUN_PLUGIN_WAGTAIL", "")
    if configured:
        return configured
    import wagtail

    return ".".join(wagtail.__version__.split(".")[:2])


def readme_block(name: str) -> str:
    """The python block between <!-- name --> and <!-- /name --> in README: the test's only source for them."""
    text = README.read_text(encoding="utf-8")
    match = re.search(rf"<!-- {name} -->\s*```python\n(.*?)```\s*<!-- /{name} -->", text, re.S)
    assert match, f"README has no <!-- {name} --> python block"
    return match.group(1)


def run(*args, cwd=None, env=None, timeout=900):
    result = subprocess.run(args, cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout, check=False)
    assert result.returncode == 0, f"{args} failed:\n{result.stdout[-4000:]}\n{result.stderr[-4000:]}"
    return result.stdout


@pytest.fixture(scope="module")
def host_venv(tmp_path_factory):
    """A fresh virtual environment with the built wheel, its dependencies and the Wagtail line under test."""
    work = tmp_path_factory.mktemp("plugin")
    wheels = work / "wheels"
    started = time.monotonic()
    # setuptools writes build/ and shixun.egg-info/ into the folder it builds: built from a copy, the wheel
    # never carries a stale build/, and the other Wagtail line and the SQLite stage (`make test` runs them
    # at the same time) never see those folders appear and vanish in the working tree.
    source = work / "source"
    shutil.copytree(ROOT, source, ignore=shutil.ignore_patterns(
        ".git", ".venv", "node_modules", "var", "test-artifacts", "build", "dist", "*.egg-info", "__pycache__",
        ".ruff_cache", "tests", "bench",
    ))
    run(sys.executable, "-m", "pip", "wheel", "--no-deps", "--quiet", "--wheel-dir", str(wheels), str(source))
    (wheel,) = wheels.glob("shixun-*.whl")
    with zipfile_names(wheel) as names:
        assert "shixun/assessments/h5p/vendor/h5p-standalone/main.bundle.js" in names
        assert "shixun/config/host_urls.py" in names
    venv = work / "venv"
    run(sys.executable, "-m", "venv", str(venv))
    python = venv / "bin" / "python"
    line = wagtail_line()
    run(
        str(python), "-m", "pip", "install", "--quiet", "--find-links", str(wheels),
        str(wheel), f"wagtail=={line}.*", "Django>=5.2,<5.3",
        timeout=1800,
    )
    version = run(str(python), "-c", "import wagtail; print(wagtail.__version__)").strip()
    assert version.startswith(line + "."), version
    print(f"wheel + venv with Wagtail {version}: {time.monotonic() - started:.0f}s")
    return venv


class zipfile_names:
    def __init__(self, path):
        import zipfile

        self.zip = zipfile.ZipFile(path)

    def __enter__(self):
        return set(self.zip.namelist())

    def __exit__(self, *exc):
        self.zip.close()


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def make_host(venv: Path, folder: Path, *, user_model: str | None, port: int) -> Path:
    """`wagtail start hostsite`, plus README's lines, plus what only this test needs."""
    folder.mkdir()
    run(str(venv / "bin" / "wagtail"), "start", "hostsite", str(folder))
    settings = folder / "hostsite" / "settings" / "base.py"
    test_only = [
        "",
        "# --- tests/plugin only ---",
        'Q_CLUSTER["sync"] = True  # credit is posted inside the request: no cluster process',
        f'SHIXUN_H5P_CONTENT_ORIGIN = "http://localhost:{port}"  # the site itself is http://127.0.0.1:{port}',
        "SHIXUN_CSP_FRAME_SRC = [SHIXUN_H5P_CONTENT_ORIGIN]",
        "# A study minute lasts 20 ms and heartbeats come every half second: a lesson is studied in seconds.",
        "SHIXUN_STUDY_SECONDS_PER_MINUTE = 0.02",
        "SHIXUN_STUDY_HEARTBEAT_SECONDS = 0.5",
    ]
    if user_model:
        test_only.append(f'AUTH_USER_MODEL = "{user_model}"')
    settings.write_text(
        settings.read_text() + "\n" + readme_block("host-settings") + "\n".join(test_only) + "\n"
    )
    urls = folder / "hostsite" / "urls.py"
    text = urls.read_text()
    marker = "urlpatterns = urlpatterns + ["
    assert marker in text, "wagtail start's urls.py changed: put Shixun's URLs before wagtail_urls"
    urls.write_text(text.replace(marker, readme_block("host-urls") + "\n" + marker, 1))
    return folder


@pytest.fixture
def served_host(host_venv, tmp_path, request):
    user_model = request.param
    port = free_port()
    folder = make_host(host_venv, tmp_path / "host", user_model=user_model, port=port)
    python = str(host_venv / "bin" / "python")
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "hostsite.settings.dev", "PYTHONDONTWRITEBYTECODE": "1"}
    for variable in ("DATABASE_URL", "SHIXUN_H5P_CONTENT_ORIGIN", "SHIXUN_H5P_ROOT", "PYTHONPATH"):
        env.pop(variable, None)
    run(python, "manage.py", "check", cwd=folder, env=env)
    run(python, "manage.py", "migrate", "--noinput", cwd=folder, env=env)
    run(python, "manage.py", "seed_demo", cwd=folder, env=env)
    facts = json.loads(
        run(python, "manage.py", "shell", "-c", (Path(__file__).parent / "journey_facts.py").read_text(),
            cwd=folder, env=env).strip().splitlines()[-1]
    )
    log = (tmp_path / "server.log").open("w")
    server = subprocess.Popen(  # noqa: S603
        [python, "manage.py", "runserver", f"127.0.0.1:{port}", "--noreload"],
        cwd=folder, env=env, stdout=log, stderr=subprocess.STDOUT,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                requests.get(base + "/", timeout=5)
                break
            except requests.ConnectionError:
                assert server.poll() is None, (tmp_path / "server.log").read_text()
                assert time.monotonic() < deadline, "the host's server did not start"
                time.sleep(0.3)
        yield base, facts
    finally:
        server.terminate()
        server.wait(timeout=30)
        log.close()


def csrf_token(html: str) -> str:
    match = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', html)
    assert match, "no CSRF token in the form"
    return match.group(1)


@pytest.mark.parametrize(
    "served_host",
    [
        pytest.param("shixun_accounts.User", id="shixun-user-model"),
        pytest.param(None, id="django-default-user"),
    ],
    indirect=True,
)
def test_teacher_completes_a_module_in_a_host_site(served_host):
    base, facts = served_host
    lesson_only = [m for m in facts["modules"] if not {"quiz", "assignment", "h5p"} & set(m["kinds"])]
    assert lesson_only, facts
    module = lesson_only[0]
    session = requests.Session()

    # The trainer's course page is served under the host's page tree (the host's home page is its root).
    page = session.get(base + facts["course_url"], timeout=30)
    assert page.status_code == 200
    assert facts["course_title"] in page.text

    login = session.get(base + "/accounts/login/", timeout=30)
    assert login.status_code == 200
    response = session.post(
        base + "/accounts/login/",
        data={"csrfmiddlewaretoken": csrf_token(login.text), "username": TEACHER, "password": DEMO_PASSWORD},
        headers={"Referer": base + "/accounts/login/"},
        timeout=30,
    )
    assert response.status_code == 200 and "/accounts/login/" not in response.url, response.text[-2000:]

    transcript_before = session.get(base + "/transcript/", timeout=30)
    assert transcript_before.status_code == 200
    assert module["title"] not in transcript_before.text

    course = session.get(base + facts["course_url"], timeout=30)
    enrol = f"/learn/courses/{facts['course_id']}/enrol/"
    assert enrol in course.text
    response = session.post(
        base + enrol, data={"csrfmiddlewaretoken": csrf_token(course.text)},
        headers={"Referer": base + facts["course_url"]}, timeout=30,
    )
    assert response.status_code == 200

    # Opening a lesson-only module completes nothing: the lesson is done after its study time.
    opened = session.get(base + module["url"], timeout=30)
    assert opened.status_code == 200 and module["title"] in opened.text
    assert 'id="study-clock"' in opened.text and 'data-done="0"' in opened.text  # the clock: not done yet
    assert module["title"] not in session.get(base + "/transcript/", timeout=30).text

    # The module page's heartbeats (study.js), every half second, until the lesson is done.
    heartbeat = re.search(r'data-heartbeat-url="([^"]+)"', opened.text).group(1)
    headers = {"X-CSRFToken": csrf_token(opened.text), "Referer": base + module["url"]}
    answer, deadline = {}, time.monotonic() + 60
    while not answer.get("lesson_done"):
        assert time.monotonic() < deadline, answer
        response = session.post(base + heartbeat, json={"start": not answer}, headers=headers, timeout=30)
        assert response.status_code == 200, response.text[-2000:]
        answer = response.json()
        time.sleep(0.4)
    assert answer["module_completed"], answer

    transcript = session.get(base + "/transcript/", timeout=30)
    assert transcript.status_code == 200
    if facts["credit_policy"] == "per_module":
        assert module["title"] in transcript.text
    else:  # hours when the course is passed: the module's hours wait on the transcript, in no total (待考核)
        assert 'id="pending"' in transcript.text and facts["course_title"] in transcript.text
        # Listed under its pending course (with its study time), and nowhere else: not a ledger entry.
        pending = transcript.text.split('id="pending"', 1)[1].split("</section>", 1)[0]
        assert module["title"] in pending and transcript.text.count(module["title"]) == 1
