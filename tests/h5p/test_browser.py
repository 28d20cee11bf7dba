"""An H5P activity plays in a real browser, reports its score and completes the module.

Headless Debian chromium (the `browser` fixture), a live server answering on
two host names: the site on `localhost`, the content origin on `127.0.0.1`
(same port, the Host header decides, as in `make demo`).
"""

from __future__ import annotations

import threading

import pytest
from django.core.servers.basehttp import ThreadedWSGIServer

from shixun.courses.models import ActivityProgress, ActivityStatus, Enrolment, ModuleCompletion

from .conftest import CONTENT_MIDDLEWARE, build_module, import_test_package

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

CORRECT = "等待三到五秒，给学生思考的时间"
WRONG = "立即点名，不需要等待"


class SerialWSGIServer(ThreadedWSGIServer):
    """The live server, running one request's application code at a time.

    Sockets are still served by threads (Chromium opens idle preconnections
    that would block a single-threaded server), but the Django application
    runs under a lock: with the in-memory SQLite test database every server
    thread shares the test's one connection.
    """

    _app_lock = threading.Lock()

    def set_app(self, application):
        lock = self._app_lock

        def one_at_a_time(environ, start_response):
            with lock:
                return application(environ, start_response)

        super().set_app(one_at_a_time)


def _ensure_wagtail_tree():
    """A transactional test may start after another one's flush emptied every table."""
    from django.contrib.contenttypes.models import ContentType
    from wagtail.models import Locale, Page, Site

    if Site.objects.exists():
        return
    ContentType.objects.clear_cache()
    locale = Locale.objects.first() or Locale.objects.create(language_code="zh-hans")
    root = Page.get_first_root_node() or Page.add_root(instance=Page(title="Root", slug="root", locale=locale))
    home = root.get_first_child() or root.add_child(instance=Page(title="Shixun", slug="home", locale=locale))
    Site.objects.create(hostname="localhost", port=80, root_page=home, is_default_site=True)


@pytest.fixture
def h5p_live_server(settings, transactional_db, tmp_path, monkeypatch):
    """A live server whose middleware includes the content origin (loaded when it starts)."""
    from django.db import connection
    from django.test.testcases import LiveServerThread
    from pytest_django.live_server_helper import LiveServer

    _ensure_wagtail_tree()
    if connection.vendor == "sqlite":
        # With the in-memory SQLite test database every server thread shares
        # the test's one connection, so two requests at once (the player
        # posts its "answered" and "completed" statements back to back) would
        # interleave transactions on it ("cannot start a transaction within a
        # transaction"). On a real database each request has its own.
        monkeypatch.setattr(LiveServerThread, "server_class", SerialWSGIServer)
    settings.SHIXUN_H5P_ROOT = str(tmp_path / "h5p-store")
    settings.MIDDLEWARE = [CONTENT_MIDDLEWARE, *(m for m in settings.MIDDLEWARE if m != CONTENT_MIDDLEWARE)]
    server = LiveServer("localhost:0")
    port = server.thread.port
    settings.SHIXUN_H5P_CONTENT_ORIGIN = f"http://127.0.0.1:{port}"
    settings.SHIXUN_CSP_FRAME_SRC = [f"http://127.0.0.1:{port}"]
    try:
        yield f"http://localhost:{port}"
    finally:
        server.stop()


def logged_in_page(browser, client, user, site_url, *, viewport=None):
    client.force_login(user)
    context = browser.new_context(viewport=viewport or {"width": 360, "height": 740}, locale="zh-CN")
    context.add_cookies(
        [{"name": "sessionid", "value": client.cookies["sessionid"].value, "url": site_url}]
    )
    return context, context.new_page()


def test_an_h5p_activity_plays_reports_its_score_and_completes_the_module(browser, client, org, h5p_live_server):
    content = import_test_package()
    activity = content.activity
    course, module = build_module(activity)
    Enrolment.objects.create(user=org.teacher, course=course)

    context, page = logged_in_page(browser, client, org.teacher, h5p_live_server)
    problems = []
    page.on("pageerror", lambda error: problems.append(str(error)))
    try:
        # The real module page (courses): opening it as an enrolled learner marks the lesson viewed.
        response = page.goto(h5p_live_server + module.url)
        assert response.status == 200, page.content()[:3000]
        frame_element = page.locator("iframe[data-h5p-player]")
        assert frame_element.get_attribute("sandbox") == "allow-scripts allow-same-origin"
        assert frame_element.get_attribute("src").startswith(f"http://127.0.0.1:{h5p_live_server.rsplit(':', 1)[1]}/")

        player = page.frame_locator("iframe[data-h5p-player]")
        content_frame = player.frame_locator("iframe.h5p-iframe")
        # A wrong answer first: scored 0, the pass rule is not met.
        content_frame.get_by_role("button", name=WRONG).click()
        badge = f"[data-h5p-status-for='{activity.activity_key}']"
        page.locator(badge + ".bad").wait_for(timeout=15_000)
        assert not ModuleCompletion.objects.filter(user=org.teacher, module=module).exists()

        content_frame.get_by_role("button", name="再试一次").click()
        content_frame.get_by_role("button", name=CORRECT).click()
        page.locator(badge + ".ok").wait_for(timeout=15_000)
        page.locator(".h5p-feedback:not([hidden])").wait_for()
        assert page.locator(".h5p-feedback").inner_text() == "本单元已完成。刷新页面即可看到下一步。"

        # The content origin never sees the site's session cookie.
        content_page = next(f for f in page.frames if f.url.startswith("http://127.0.0.1"))
        assert content_page.evaluate("document.cookie") == ""
        # The player fits a phone screen: no horizontal scrolling.
        assert page.evaluate("document.documentElement.scrollWidth") <= 360
    finally:
        context.close()

    # Browsers may deny storage to a cross-site frame (Chromium does in its
    # incognito-like contexts, as it blocks third-party cookies there); H5P
    # core then cannot read its clipboard from localStorage. Harmless here.
    assert [p for p in problems if "localStorage" not in p] == []
    completion = ModuleCompletion.objects.get(user=org.teacher, module=module)
    assert completion.credit_hours == module.credit_hours
    progress = ActivityProgress.objects.get(user=org.teacher, module=module, activity_key=activity.activity_key)
    assert progress.status == ActivityStatus.DONE
    assert progress.score == 100
    result = activity.results.get(user=org.teacher)
    assert result.passed and result.completed and result.best_scaled_score == 1
    assert result.attempts == 2
