"""An embedded player (YouTube, Vimeo) and the study clock, in a real browser: a playing video keeps the clock
going with no input, a paused one lets "还在学习吗？" come.

video.js marks the player's iframe `data-study-playing` from the player's own messages, and study.js counts a
playing one as activity (the page cannot see into the frame). As in test_embed_players_browser.py, the real
players are not reachable here: Playwright serves a local page at the player's URL (so on the provider's origin)
that posts what the players' APIs post:
- YouTube IFrame Player API (https://developers.google.com/youtube/iframe_api_reference#Events): onStateChange
  with the player state (1 playing, 2 paused, 0 ended), and the current time and duration, once the page has
  said it is listening;
- Vimeo Player SDK (https://developer.vimeo.com/player/sdk/reference#events-for-playback-controls): after
  {"method": "addEventListener", "value": …} the events play, timeupdate and pause, each with {seconds, percent,
  duration}.
The video is long (ten minutes): it plays, for the clock, until the learner pauses it. The idle time is shrunk to
a few seconds (SHIXUN_STUDY_IDLE_SECONDS) and time runs for real.
"""

from __future__ import annotations

import time

import pytest
from playwright.sync_api import expect
from wagtail.embeds.blocks import EmbedValue

from shixun.courses.models import Enrolment

from . import test_embed_players_browser as players
from .conftest import make_catalogue, make_course, make_module
from .test_embed_players_browser import PROVIDERS, _frames, _poll

live_site = players.live_site  # the fixture: a live server with the site

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

IDLE_SECONDS = 3
DURATION = 600

YOUTUBE_PAGE = """<!doctype html><title>fake YouTube player</title><script>
var parentOrigin = new URL(location.href).searchParams.get('origin');
var listening = false, id = null, timer = null, time = 0;
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
  post({event: 'onStateChange', info: 1});
  timer = setInterval(function () {
    time += 0.25;
    post({event: 'infoDelivery', info: {currentTime: time, playerState: 1}});
  }, 250);
};
window.pause = function () {
  clearInterval(timer);
  post({event: 'onStateChange', info: 2});
  post({event: 'infoDelivery', info: {currentTime: time, playerState: 2}});
};
</script>""".replace("DURATION_S", str(DURATION))

VIMEO_PAGE = """<!doctype html><title>fake Vimeo player</title><script>
var listeners = {}, parentOrigin = null, timer = null, time = 0;
function post(m) { parent.postMessage(JSON.stringify(m), parentOrigin || '*'); }
function at() { return {seconds: time, percent: time / DURATION_S, duration: DURATION_S}; }
window.addEventListener('message', function (e) {
  var d = typeof e.data === 'string' ? JSON.parse(e.data) : e.data;
  parentOrigin = e.origin;
  if (d.method === 'addEventListener') { listeners[d.value] = true; }
  if (d.method === 'getDuration') { post({method: 'getDuration', value: DURATION_S}); }
});
window.heard = function () { return !!listeners.timeupdate && !!listeners.pause; };
window.play = function () {
  post({event: 'play', data: at()});
  timer = setInterval(function () { time += 0.25; post({event: 'timeupdate', data: at()}); }, 250);
};
window.pause = function () { clearInterval(timer); post({event: 'pause', data: at()}); };
post({event: 'ready', player_id: null});
</script>""".replace("DURATION_S", str(DURATION))

PAGES = {"youtube": YOUTUBE_PAGE, "vimeo": VIMEO_PAGE}


@pytest.mark.parametrize("provider", ["youtube", "vimeo"])
def test_a_playing_embedded_player_keeps_the_clock_going_and_a_paused_one_lets_it_stop(
    browser, client, org, live_site, settings, provider
):
    settings.SHIXUN_STUDY_IDLE_SECONDS = IDLE_SECONDS
    settings.SHIXUN_STUDY_HEARTBEAT_SECONDS = 0.5
    url, route, _, _ = PROVIDERS[provider]
    course = make_course(make_catalogue(), "嵌入视频课程")
    module = make_module(
        course,
        "第一讲",
        body=[
            ("video", {"title": "师德讲座", "file": None, "embed": EmbedValue(url), "duration": "10:00"}),
        ],
    )
    Enrolment.objects.create(user=org.teacher, course=course)
    client.force_login(org.teacher)
    context = browser.new_context(viewport={"width": 360, "height": 740}, locale="zh-CN")
    context.add_cookies([{"name": "sessionid", "value": client.cookies["sessionid"].value, "url": live_site}])
    context.route(route, lambda r: r.fulfill(status=200, content_type="text/html; charset=utf-8", body=PAGES[provider]))
    page = context.new_page()
    problems = []
    page.on("pageerror", lambda error: problems.append(str(error)))
    try:
        assert page.goto(live_site + module.url).status == 200
        page.locator("#study-clock").wait_for()
        player = _frames(page, route)[0]
        _poll(lambda: player.evaluate("window.heard()"))  # the handshake reached the player
        idle_box = page.locator("#study-idle")
        frame = page.locator("iframe[data-embed-player]")

        # The learner reaches for the player (on a loaded machine the handshake may have outlasted the idle time).
        if idle_box.is_visible():
            page.locator("#study-resume").click()
        page.mouse.move(5, 5)
        # Playing, nobody touching anything, for more than twice the idle time: no prompt.
        player.evaluate("window.play()")
        expect(frame).to_have_attribute("data-study-playing", "1")
        started = time.monotonic()
        while time.monotonic() - started < 2.5 * IDLE_SECONDS:
            assert idle_box.is_hidden(), f"asked after {time.monotonic() - started:.1f} s of playing"
            page.wait_for_timeout(250)

        # Paused: the page no longer sees anything happen, and asks.
        player.evaluate("window.pause()")
        expect(frame).not_to_have_attribute("data-study-playing", "1")
        expect(idle_box).to_be_visible(timeout=(IDLE_SECONDS + 10) * 1000)
        assert "还在学习吗" in idle_box.inner_text()
        assert problems == []
    finally:
        context.close()
