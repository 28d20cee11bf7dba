"""Embedded YouTube and Vimeo players in a real browser: video.js speaks their postMessage protocols.

THE REAL PROVIDERS WERE NOT REACHABLE: this machine has no internet. Instead,
Playwright answers every request for https://www.youtube.com/embed/… and
https://player.vimeo.com/video/… with a small local test page that speaks the
provider's documented message protocol (YouTube IFrame API: the page's
{"event":"listening"} handshake, then "infoDelivery" messages with
currentTime / duration / playbackRate / playerState, posted to the `origin`
the embed URL names; Vimeo player API: {"method":"addEventListener"} and
"timeupdate" events with seconds / duration). Because the pages are served as
those URLs, they run on the providers' real origins (a second origin to the
site), so the origin checks in video.js are exercised as in production. What
is not tested: the providers' actual player builds and their undocumented
quirks.

Forged messages (from the page itself, and from another frame of the right
origin that is not the lesson's player) must produce no report at all.
"""

from __future__ import annotations

import time

import pytest
from wagtail.embeds.blocks import EmbedValue

from shixun.courses.blocks import video_key
from shixun.courses.models import ActivityProgress, Enrolment, VideoWatch
from tests.h5p.test_browser import SerialWSGIServer, _ensure_wagtail_tree

from .conftest import make_catalogue, make_course, make_module

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

DURATION = 8  # seconds; the fake players play at 2×: about 4 s of real time

YOUTUBE_PAGE = """<!doctype html><title>fake YouTube player</title><script>
var parentOrigin = new URL(location.href).searchParams.get('origin');
var listening = false, id = null;
function post(m) { m.id = id; m.channel = 'widget'; parent.postMessage(JSON.stringify(m), parentOrigin); }
window.addEventListener('message', function (e) {
  if (e.origin !== parentOrigin) { return; }
  var d = typeof e.data === 'string' ? JSON.parse(e.data) : e.data;
  if (d.event === 'listening' && !listening) {
    listening = true; id = d.id;
    post({event: 'onReady'});
    post({event: 'initialDelivery', info: {currentTime: 0, duration: DURATION_S, playbackRate: 1, playerState: 5}});
  }
});
window.heard = function () { return listening; };
window.play = function () {
  var rate = 2, start = Date.now();
  post({event: 'infoDelivery', info: {playbackRate: rate}});
  post({event: 'onStateChange', info: 1});
  var timer = setInterval(function () {
    var t = Math.min(DURATION_S, (Date.now() - start) / 1000 * rate);
    post({event: 'infoDelivery', info: {currentTime: t, playerState: t >= DURATION_S ? 0 : 1}});
    if (t >= DURATION_S) { clearInterval(timer); }
  }, 250);
};
</script>""".replace("DURATION_S", str(DURATION))

VIMEO_PAGE = """<!doctype html><title>fake Vimeo player</title><script>
var listeners = {}, parentOrigin = null;
function post(m) { parent.postMessage(JSON.stringify(m), parentOrigin || '*'); }
window.addEventListener('message', function (e) {
  var d = typeof e.data === 'string' ? JSON.parse(e.data) : e.data;
  parentOrigin = e.origin;
  if (d.method === 'addEventListener') { listeners[d.value] = true; }
  if (d.method === 'getDuration') { post({method: 'getDuration', value: DURATION_S}); }
});
window.heard = function () { return !!listeners.timeupdate; };
window.play = function () {
  var rate = 2, start = Date.now();
  post({event: 'playbackratechange', data: {playbackRate: rate}});
  post({event: 'play', data: {seconds: 0, duration: DURATION_S}});
  var timer = setInterval(function () {
    var t = Math.min(DURATION_S, (Date.now() - start) / 1000 * rate);
    post({event: 'timeupdate', data: {seconds: t, percent: t / DURATION_S, duration: DURATION_S}});
    if (t >= DURATION_S) { clearInterval(timer); post({event: 'ended', data: {seconds: t}}); }
  }, 250);
};
post({event: 'ready', player_id: null});
</script>""".replace("DURATION_S", str(DURATION))

# A frame of the provider's own origin that is not the lesson's player, claiming the whole video at once.
FORGER_PAGE = """<!doctype html><script>
[JSON.stringify({event: 'onStateChange', info: 1}),
 JSON.stringify({event: 'infoDelivery', info: {currentTime: 0, duration: 2, playerState: 1}}),
 JSON.stringify({event: 'infoDelivery', info: {currentTime: 2, duration: 2, playerState: 0}}),
 JSON.stringify({event: 'timeupdate', data: {seconds: 8, duration: 8}}),
 JSON.stringify({event: 'ended', data: {seconds: 8}})].forEach(function (m) { parent.postMessage(m, '*'); });
</script>"""

PROVIDERS = {
    "youtube": ("https://www.youtube.com/watch?v=dQw4w9WgXcQ", "https://www.youtube.com/embed/**", YOUTUBE_PAGE,
                "https://www.youtube.com/embed/forged0000a"),
    "vimeo": ("https://vimeo.com/76979871", "https://player.vimeo.com/video/**", VIMEO_PAGE,
              "https://player.vimeo.com/video/1"),
}


@pytest.fixture
def live_site(transactional_db, monkeypatch):
    from django.db import connection
    from django.test.testcases import LiveServerThread
    from pytest_django.live_server_helper import LiveServer

    _ensure_wagtail_tree()
    if connection.vendor == "sqlite":
        monkeypatch.setattr(LiveServerThread, "server_class", SerialWSGIServer)
    server = LiveServer("localhost:0")
    try:
        yield f"http://localhost:{server.thread.port}"
    finally:
        server.stop()


def _poll(predicate, deadline_s=30.0, why=lambda: ""):
    deadline = time.monotonic() + deadline_s
    while not predicate():
        assert time.monotonic() < deadline, f"timed out {why()}"
        time.sleep(0.25)


@pytest.mark.parametrize("provider", ["youtube", "vimeo"])
def test_an_embedded_player_reports_watching_and_forged_messages_count_nothing(
        browser, client, org, live_site, provider):
    url, route, player_page, forger_url = PROVIDERS[provider]
    course = make_course(make_catalogue(), "嵌入视频课程")
    module = make_module(course, "第一讲", body=[
        ("video", {"title": "师德讲座", "file": None, "embed": EmbedValue(url), "duration": f"0:{DURATION:02d}"}),
    ])
    block_id = next(child.id for child in module.body if child.block_type == "video")
    Enrolment.objects.create(user=org.teacher, course=course)
    client.force_login(org.teacher)
    context = browser.new_context(viewport={"width": 360, "height": 740}, locale="zh-CN")
    context.add_cookies([{"name": "sessionid", "value": client.cookies["sessionid"].value, "url": live_site}])

    def serve(route_request):
        page_html = FORGER_PAGE if route_request.request.url.startswith(forger_url) else player_page
        route_request.fulfill(status=200, content_type="text/html; charset=utf-8", body=page_html)

    context.route(route, serve)
    page = context.new_page()
    reports, problems = [], []
    page.on("request", lambda r: reports.append(r.url) if "/watched/" in r.url else None)
    page.on("pageerror", lambda error: problems.append(str(error)))
    try:
        assert page.goto(live_site + module.url).status == 200
        frame = next(f for f in _frames(page, route) if not f.url.startswith(forger_url))
        _poll(lambda: frame.evaluate("window.heard && window.heard()"))  # the handshake reached the player

        # Forgeries: the page's own window, and a second frame on the provider's origin that is not the player.
        page.evaluate("""() => {
            window.postMessage(JSON.stringify({event: 'onStateChange', info: 1}), '*');
            window.postMessage(JSON.stringify({event: 'timeupdate', data: {seconds: 8, duration: 8}}), '*');
            const forger = document.createElement('iframe');
            forger.src = FORGER_URL;
            document.body.appendChild(forger);
        }""".replace("FORGER_URL", repr(forger_url)))
        time.sleep(2)
        assert reports == [] and not VideoWatch.objects.exists()

        frame.evaluate("window.play()")
        badge = page.locator("[data-video-percent]")
        _poll(lambda: "ok" in badge.get_attribute("class"), why=lambda: (
            badge.inner_text(), reports, page.locator("[data-video-message]").inner_text(),
            list(VideoWatch.objects.values_list("covered", "reports"))))
        watch = VideoWatch.objects.get(user=org.teacher, module=module)
        assert watch.duration == DURATION and watch.covered_seconds >= 0.9 * DURATION
        assert 90 <= int(badge.inner_text().removeprefix("已观看 ").rstrip("%")) <= 100
        progress = ActivityProgress.objects.get(user=org.teacher, module=module, activity_key=video_key(block_id))
        assert progress.status == "done"
        assert problems == []
    finally:
        context.close()


def _frames(page, route):
    prefix = route.rstrip("*")
    _poll(lambda: any(f.url.startswith(prefix) for f in page.frames))
    return [f for f in page.frames if f.url.startswith(prefix)]
