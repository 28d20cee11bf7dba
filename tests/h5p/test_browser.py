"""An H5P activity plays in a real browser, reports its score and completes the module.

Headless Debian chromium (the `browser` fixture), a live server answering on
two host names: the site on `shixun.localhost`, the content origin on its
sub-domain `h5p.shixun.localhost` (same port, the Host header decides, as in
`make demo`; Chromium resolves *.localhost to loopback).
"""

from __future__ import annotations

import threading

import pytest
from django.core.servers.basehttp import ThreadedWSGIServer

from shixun.courses.models import ActivityProgress, ActivityStatus, Enrolment, ModuleCompletion
from tests.factories import study_lesson

from .conftest import CONTENT_MIDDLEWARE, build_module, import_test_package

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

SITE_HOST = "shixun.localhost"
CONTENT_HOST = "h5p." + SITE_HOST
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
    settings.SHIXUN_H5P_CONTENT_ORIGIN = f"http://{CONTENT_HOST}:{port}"
    settings.SHIXUN_CSP_FRAME_SRC = [f"http://{CONTENT_HOST}:{port}"]
    try:
        yield f"http://{SITE_HOST}:{port}"
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
    study_lesson(org.teacher, module)  # the lesson is studied (the page's heartbeats); the activity is left

    context, page = logged_in_page(browser, client, org.teacher, h5p_live_server)
    problems = []
    page.on("pageerror", lambda error: problems.append(str(error)))
    try:
        # The real module page (courses), opened as an enrolled learner.
        response = page.goto(h5p_live_server + module.url)
        assert response.status == 200, page.content()[:3000]
        frame_element = page.locator("iframe[data-h5p-player]")
        assert frame_element.get_attribute("sandbox") == "allow-scripts allow-same-origin"
        port = h5p_live_server.rsplit(":", 1)[1]
        assert frame_element.get_attribute("src").startswith(f"http://{CONTENT_HOST}:{port}/")

        player = page.frame_locator("iframe[data-h5p-player]")
        content_frame = player.frame_locator("iframe.h5p-iframe")
        # A wrong answer first: scored 0, the pass rule is not met.
        content_frame.get_by_role("button", name=WRONG).click()
        badge = f"[data-h5p-status-for='{activity.activity_key}']"
        page.locator(badge + ".bad").wait_for(timeout=15_000)
        # The module's step list follows the block's badge (a failed try too), without a reload.
        page.locator(f"ol.steps [data-step-status='{activity.activity_key}'].bad").wait_for(timeout=15_000)
        assert not ModuleCompletion.objects.filter(user=org.teacher, module=module).exists()

        content_frame.get_by_role("button", name="再试一次").click()
        content_frame.get_by_role("button", name=CORRECT).click()
        page.locator(badge + ".ok").wait_for(timeout=15_000)
        page.locator(".h5p-feedback:not([hidden])").wait_for()
        assert page.locator(".h5p-feedback").inner_text() == "本单元已完成。下一步已显示在页面顶部。"
        # The module's step list and next-step card follow without a reload (courses/static/courses/steps.js).
        page.locator(f"ol.steps [data-step-status='{activity.activity_key}'].ok").wait_for(timeout=15_000)
        page.locator("#next-step", has_text="本单元已完成").wait_for(timeout=15_000)

        # The content origin never sees the site's session cookie.
        content_page = next(f for f in page.frames if f.url.startswith(f"http://{CONTENT_HOST}"))
        assert content_page.evaluate("document.cookie") == ""
        # The player fits a phone screen: no horizontal scrolling.
        assert page.evaluate("document.documentElement.scrollWidth") <= 360
    finally:
        context.close()

    # No error, the localStorage one included: browsers deny storage to a
    # cross-site frame (Chromium does in its incognito-like contexts), and the
    # content origin is same-site.
    assert problems == []
    completion = ModuleCompletion.objects.get(user=org.teacher, module=module)
    assert completion.credit_hours == module.credit_hours
    progress = ActivityProgress.objects.get(user=org.teacher, module=module, activity_key=activity.activity_key)
    assert progress.status == ActivityStatus.DONE
    assert progress.score == 100
    result = activity.results.get(user=org.teacher)
    assert result.passed and result.completed and result.best_scaled_score == 1
    assert result.attempts == 2


def _frames_fit(page, content_origin: str) -> dict:
    """Where the activity's Check button, both frames and their contents are, in page pixels."""
    outer = page.locator("iframe[data-h5p-player]").bounding_box()
    player = page.frame_locator("iframe[data-h5p-player]")
    inner = player.locator("iframe.h5p-iframe").bounding_box()
    # The inner document, written by the player, has the player's URL too: pick by parent.
    player_frame = next(f for f in page.main_frame.child_frames if f.url.startswith(content_origin))
    content_frame = next(f for f in page.frames if f.parent_frame == player_frame)
    measure = """() => ({
        scrolled: window.scrollY,
        viewport: window.innerHeight,
        content: Math.max(...[...document.body.children].map(e => e.getBoundingClientRect().bottom)),
    })"""
    return {
        "outer": outer,
        "inner": inner,
        "player": player_frame.evaluate(measure),
        "content": content_frame.evaluate(measure),
    }


def _assert_fits(fit: dict, button: dict) -> None:
    outer, inner = fit["outer"], fit["inner"]
    # Each frame is at least as tall as what it holds: nothing cut off, nothing scrolled.
    assert fit["content"]["content"] <= fit["content"]["viewport"] + 1, fit
    assert fit["player"]["content"] <= fit["player"]["viewport"] + 1, fit
    assert fit["content"]["scrolled"] == 0 and fit["player"]["scrolled"] == 0, fit
    assert inner["height"] > 150, fit  # the inner frame's default height, which clipped hub content
    assert inner["y"] + inner["height"] <= outer["y"] + outer["height"] + 1, fit
    # The button is inside both frames' visible boxes.
    assert button["y"] >= inner["y"] and button["y"] + button["height"] <= inner["y"] + inner["height"], (fit, button)
    assert button["y"] + button["height"] <= outer["y"] + outer["height"], (fit, button)


def _wait_until_fits(page, content_origin: str, button) -> None:
    import time

    deadline = time.monotonic() + 15
    while True:
        fit, box = _frames_fit(page, content_origin), button.bounding_box()
        try:
            _assert_fits(fit, box)
            return
        except AssertionError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.25)


def test_real_hub_content_plays_at_phone_width_with_every_frame_fitted_to_it(browser, client, org, h5p_live_server):
    """A True/False question from the H5P hub (H5P.TrueFalse 1.6 with H5P.Question, JoubelUI, …),
    run by the player in an inner iframe: at 360 px and on a desktop the Check and Retry buttons
    are in view without scrolling inside either frame, and H5P core gets its storage (the content
    origin is same-site)."""
    from pathlib import Path

    from . import hub_sample

    assert hub_sample.available(), "npm ci installs the devDependency h5p-hub-sample (package.json)"
    content = import_test_package(hub_sample.package(), title="判断题：真还是假")
    activity = content.activity
    course, module = build_module(activity, slug="hub-module")
    Enrolment.objects.create(user=org.teacher, course=course)
    content_origin = f"http://{CONTENT_HOST}:{h5p_live_server.rsplit(':', 1)[1]}"
    shots = Path(__file__).resolve().parents[2] / "test-artifacts" / "screenshots"
    shots.mkdir(parents=True, exist_ok=True)

    context, page = logged_in_page(browser, client, org.teacher, h5p_live_server)
    problems, console_errors, content_requests_with_cookies = [], [], []
    page.on("pageerror", lambda error: problems.append(str(error)))
    page.on("console", lambda message: message.type == "error" and console_errors.append(message.text))
    page.on(
        "request",
        lambda request: request.url.startswith(content_origin)
        and "cookie" in request.all_headers()
        and content_requests_with_cookies.append(request.url),
    )
    try:
        assert page.goto(h5p_live_server + module.url).status == 200
        activity_frame = page.frame_locator("iframe[data-h5p-player]").frame_locator("iframe.h5p-iframe")
        activity_frame.get_by_text(hub_sample.QUESTION).wait_for(timeout=20_000)
        check = activity_frame.get_by_role("button", name="Check")
        _wait_until_fits(page, content_origin, check)
        page.screenshot(path=str(shots / "h5p-hub-content-phone.png"), full_page=True)

        badge = f"[data-h5p-status-for='{activity.activity_key}']"
        activity_frame.get_by_role("radio", name=hub_sample.WRONG_ANSWER).click()
        check.click()
        page.locator(badge + ".bad").wait_for(timeout=15_000)
        # The score bar, feedback and Retry appeared below: the frames grew with them.
        retry = activity_frame.get_by_role("button", name="Retry")
        _wait_until_fits(page, content_origin, retry)
        assert page.evaluate("document.documentElement.scrollWidth") <= 360
        page.screenshot(path=str(shots / "h5p-hub-content-checked-phone.png"), full_page=True)

        page.set_viewport_size({"width": 1280, "height": 860})
        _wait_until_fits(page, content_origin, retry)
        page.screenshot(path=str(shots / "h5p-hub-content-checked-desktop.png"), full_page=True)

        retry.click()
        activity_frame.get_by_role("radio", name=hub_sample.CORRECT_ANSWER).click()
        _wait_until_fits(page, content_origin, check)
        check.click()
        page.locator(badge + ".ok").wait_for(timeout=15_000)

        # The session cookie stays with the site: host-only, never sent to its sub-domain.
        assert [c["name"] for c in context.cookies([content_origin + "/"])] == []
        assert "sessionid" in [c["name"] for c in context.cookies([h5p_live_server + "/"])]
    finally:
        context.close()

    assert content_requests_with_cookies == []
    assert problems == []
    assert [e for e in console_errors if "localStorage" in e] == []
    result = activity.results.get(user=org.teacher)
    assert result.completed and result.best_scaled_score == 1


def test_a_result_refused_by_the_rate_limit_is_sent_again_and_still_completes_the_module(
    browser, client, org, h5p_live_server, settings
):
    """Issue 17: xAPI is limited per user (429 + Retry-After); host.js resends after the wait, nothing is lost."""
    from django.core.cache import cache

    settings.SHIXUN_RATE_LIMITS_ENABLED = True
    settings.SHIXUN_RATE_LIMIT_XAPI = "1/4s"
    cache.clear()
    content = import_test_package()
    activity = content.activity
    course, module = build_module(activity)
    Enrolment.objects.create(user=org.teacher, course=course)
    study_lesson(org.teacher, module)  # the lesson is studied (the page's heartbeats); the activity is left

    context, page = logged_in_page(browser, client, org.teacher, h5p_live_server)
    answers = []
    page.on("response", lambda response: answers.append(response.status) if "/h5p/xapi/" in response.url else None)
    try:
        assert page.goto(h5p_live_server + module.url).status == 200
        content_frame = page.frame_locator("iframe[data-h5p-player]").frame_locator("iframe.h5p-iframe")
        content_frame.get_by_role("button", name=CORRECT).click()
        page.locator(f"[data-h5p-status-for='{activity.activity_key}'].ok").wait_for(timeout=40_000)
    finally:
        context.close()
        cache.clear()
    assert 429 in answers and 200 in answers, answers
    assert ModuleCompletion.objects.filter(user=org.teacher, module=module).count() == 1
