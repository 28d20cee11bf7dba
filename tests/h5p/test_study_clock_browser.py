"""The study clock and an H5P activity, in a real browser: what the learner does in the frame counts, what the
content does by itself does not.

Taps inside the activity's frames never reach the module page; the frame tells the page instead
(assessments/h5p/player/player.js, assessments/h5p/static/h5p/host.js). Content that changes its own size (an
auto-advancing slideshow, an animation, a font loading late) makes the player post a resize message each time:
counted as activity, that kept the clock running with nobody at the screen. Here the idle time is shrunk to a
few seconds (SHIXUN_STUDY_IDLE_SECONDS) and time runs for real.
"""

from __future__ import annotations

import time

import pytest
from playwright.sync_api import expect

from shixun.courses.models import Enrolment

from . import hub_sample, test_browser
from .conftest import build_module, import_test_package
from .test_browser import logged_in_page

h5p_live_server = test_browser.h5p_live_server  # the fixture: the site and its content origin

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

IDLE_SECONDS = 3

# Counts the activity frame's resize messages as the module page receives them.
COUNT_RESIZES = """() => {
    window.resizesSeen = 0;
    window.addEventListener('message', (event) => {
        if (event.data && event.data.type === 'shixun-h5p:resize') { window.resizesSeen += 1; }
    });
}"""

# Content that changes its own size every second (an animation, a slideshow), with nobody touching anything:
# the real player's ResizeObserver reports each change to the module page.
SELF_RESIZING = """() => {
    const banner = document.body.appendChild(document.createElement('div'));
    let tick = 0;
    window.setInterval(() => { banner.style.height = (tick++ % 2 ? 0 : 40) + 'px'; }, 1000);
}"""


@pytest.fixture
def short_idle(settings):
    settings.SHIXUN_STUDY_IDLE_SECONDS = IDLE_SECONDS
    settings.SHIXUN_STUDY_HEARTBEAT_SECONDS = 0.5


def _open_module(browser, client, org, site_url, package=None, **kwargs):
    content = import_test_package(package, **kwargs) if package else import_test_package()
    course, module = build_module(content.activity)
    Enrolment.objects.create(user=org.teacher, course=course)
    context, page = logged_in_page(browser, client, org.teacher, site_url)
    problems = []
    page.on("pageerror", lambda error: problems.append(str(error)))
    assert page.goto(site_url + module.url).status == 200
    page.locator("#study-clock").wait_for()
    page.evaluate(COUNT_RESIZES)
    activity = page.frame_locator("iframe[data-h5p-player]").frame_locator("iframe.h5p-iframe")
    activity.get_by_role("button").first.wait_for(timeout=20_000)
    # The learner looks at the loaded activity (on a loaded machine loading may outlast the idle time): the idle
    # time counts from here.
    if page.locator("#study-idle").is_visible():
        page.locator("#study-resume").click()
    page.mouse.move(5, 5)
    return context, page, problems


def _player_frame(page, site_url):
    content_origin = "http://h5p." + site_url.removeprefix("http://")
    deadline = time.monotonic() + 20
    while True:
        found = [f for f in page.main_frame.child_frames if f.url.startswith(content_origin)]
        if found:
            return found[0]
        assert time.monotonic() < deadline, [f.url for f in page.frames]
        page.wait_for_timeout(200)


def test_content_that_resizes_itself_does_not_keep_the_clock_running(browser, client, org, h5p_live_server, short_idle):
    context, page, problems = _open_module(browser, client, org, h5p_live_server)
    try:
        # In view (Chromium does not lay out a cross-origin frame off the screen, so nothing would resize).
        page.locator("iframe[data-h5p-player]").scroll_into_view_if_needed()
        _player_frame(page, h5p_live_server).evaluate(SELF_RESIZING)
        # Nobody touches anything: the prompt comes after the idle time, resize messages or not.
        expect(page.locator("#study-idle")).to_be_visible(timeout=(IDLE_SECONDS + 10) * 1000)
        assert "还在学习吗" in page.locator("#study-idle").inner_text()
        assert page.evaluate("window.resizesSeen") >= IDLE_SECONDS, "the content did not resize itself"
        assert problems == []
    finally:
        context.close()


def test_a_learner_answering_hub_content_keeps_the_clock_running_until_they_stop(
    browser, client, org, h5p_live_server, short_idle
):
    """Real hub content (H5P.TrueFalse, tests/h5p/hub_sample.py): the learner works through it for more than
    twice the idle time, every input inside the frames; the prompt does not interrupt them. When they stop, it
    comes."""
    assert hub_sample.available(), "npm ci installs the devDependency h5p-hub-sample (package.json)"
    context, page, problems = _open_module(
        browser, client, org, h5p_live_server, hub_sample.package(), title="判断题：真还是假"
    )
    try:
        activity = page.frame_locator("iframe[data-h5p-player]").frame_locator("iframe.h5p-iframe")
        activity.get_by_text(hub_sample.QUESTION).wait_for(timeout=20_000)
        idle_box = page.locator("#study-idle")
        started = time.monotonic()
        acts = 0
        while time.monotonic() - started < 2.5 * IDLE_SECONDS:
            # Thinking between taps, each pause shorter than the idle time; the answer is checked, then retried.
            activity.get_by_role("radio", name=hub_sample.CORRECT_ANSWER).click()
            page.wait_for_timeout(1000)
            activity.get_by_role("radio", name=hub_sample.WRONG_ANSWER).click()
            page.wait_for_timeout(1000)
            activity.get_by_role("button", name="Check").click()
            page.wait_for_timeout(1000)
            activity.get_by_role("button", name="Retry").click()
            page.wait_for_timeout(1000)
            acts += 4
            assert idle_box.is_hidden(), f"asked after {time.monotonic() - started:.1f} s and {acts} acts"
        # The learner stops: the prompt comes.
        expect(idle_box).to_be_visible(timeout=(IDLE_SECONDS + 10) * 1000)
        assert problems == []
    finally:
        context.close()


# The content sends an xAPI statement every second through H5P's own dispatcher, as a content type does; nobody
# touches anything. player.js passes each to the module page.
STATEMENTS_EVERY_SECOND = """(verb) => {
    window.setInterval(() => {
        const event = new H5P.XAPIEvent();
        event.setVerb(verb);
        H5P.externalDispatcher.trigger(event);
    }, 1000);
}"""


@pytest.mark.parametrize(("verb", "counts"), [("answered", True), ("progressed", True), ("attempted", False)])
def test_only_the_statements_of_a_learners_acts_keep_the_clock_running(
    browser, client, org, h5p_live_server, short_idle, verb, counts
):
    """ "answered" (and the other acts of a learner) counts as activity; "attempted", which H5P sends by itself
    when the content loads, does not."""
    context, page, problems = _open_module(browser, client, org, h5p_live_server)
    try:
        page.evaluate("""() => {
            window.statementsSeen = 0;
            window.addEventListener('message', (event) => {
                if (event.data && event.data.type === 'shixun-h5p:xapi') { window.statementsSeen += 1; }
            });
        }""")
        _player_frame(page, h5p_live_server).evaluate(STATEMENTS_EVERY_SECOND, verb)
        idle_box = page.locator("#study-idle")
        if counts:
            started = time.monotonic()
            while time.monotonic() - started < 2.5 * IDLE_SECONDS:
                assert idle_box.is_hidden(), f"asked after {time.monotonic() - started:.1f} s of {verb!r}"
                page.wait_for_timeout(250)
        else:
            expect(idle_box).to_be_visible(timeout=(IDLE_SECONDS + 10) * 1000)
        assert page.evaluate("window.statementsSeen") >= 2
        assert problems == []
    finally:
        context.close()


# A silent WAV played (muted, so no gesture is needed) in the activity's inner frame, as an H5P Interactive Video or
# Audio plays its media: the player page's CSP allows blob: media. Returns once it plays.
PLAY_MEDIA = """async () => {
    const seconds = 60, rate = 8000;
    const bytes = new Uint8Array(44 + seconds * rate);
    const view = new DataView(bytes.buffer);
    const ascii = (at, text) => [...text].forEach((c, i) => view.setUint8(at + i, c.charCodeAt(0)));
    ascii(0, 'RIFF'); view.setUint32(4, 36 + seconds * rate, true); ascii(8, 'WAVEfmt ');
    view.setUint32(16, 16, true); view.setUint16(20, 1, true); view.setUint16(22, 1, true);
    view.setUint32(24, rate, true); view.setUint32(28, rate, true); view.setUint16(32, 1, true);
    view.setUint16(34, 8, true); ascii(36, 'data'); view.setUint32(40, seconds * rate, true);
    bytes.fill(128, 44);
    const audio = document.body.appendChild(document.createElement('audio'));
    audio.id = 'lesson-audio';
    audio.muted = true;
    audio.src = URL.createObjectURL(new Blob([bytes], {type: 'audio/wav'}));
    await audio.play();
    return !audio.paused;
}"""


def _activity_frame(page, site_url):
    """The inner frame the player creates for "iframe" embed content (same origin as the player page)."""
    player = _player_frame(page, site_url)
    deadline = time.monotonic() + 20
    while not player.child_frames:
        assert time.monotonic() < deadline, "no inner H5P frame"
        page.wait_for_timeout(200)
    return player.child_frames[0]


def test_media_playing_in_the_activity_keeps_the_clock_running_until_it_is_paused(
    browser, client, org, h5p_live_server, short_idle
):
    """A video or audio playing inside the activity is study without input, as the lesson's own video is; paused,
    the prompt comes after the idle time."""
    context, page, problems = _open_module(browser, client, org, h5p_live_server)
    try:
        activity = _activity_frame(page, h5p_live_server)
        assert activity.evaluate(PLAY_MEDIA), "the audio did not start"
        idle_box = page.locator("#study-idle")
        started = time.monotonic()
        while time.monotonic() - started < 2.5 * IDLE_SECONDS:
            assert idle_box.is_hidden(), f"asked after {time.monotonic() - started:.1f} s of playing"
            page.wait_for_timeout(250)
        activity.evaluate("() => document.getElementById('lesson-audio').pause()")
        expect(idle_box).to_be_visible(timeout=(IDLE_SECONDS + 10) * 1000)
        assert problems == []
    finally:
        context.close()
