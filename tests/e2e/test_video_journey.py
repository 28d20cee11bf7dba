"""A teacher watches a real lesson video on a 360 px phone until the module's video step is done.

The video is made in the test by ffmpeg (WebM/VP8, which Debian's chromium
plays), uploaded by the course's trainer through the Wagtail admin as a
document, and placed in a module of a new open course. The teacher enrols,
plays it at 2× (the fastest rate that still counts fully), and the page shows
"已观看 100%" and the step done without a reload; the module is complete and
its hours reach the ledger.
"""

import shutil
import time

import pytest
from playwright.sync_api import expect

from shixun.courses.demo import make_clip

from .conftest import DESKTOP, log_in
from .helpers import CLUSTER_DEADLINE_S, assert_fits_a_phone, browser_page, messages_text, site_json

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.skipif(shutil.which("ffmpeg") is None, reason="ffmpeg is missing: `make test` installs it"),
]

TRAINER = "trainer1"
TEACHER = "t0028"
VIDEO_TITLE = "课堂导入示范视频"
COURSE_SLUG = "video-demo-course"
MODULE_SLUG = "video-demo-module"
SECONDS = 10


def poll(page, predicate: str, deadline_s: float = CLUSTER_DEADLINE_S) -> None:
    deadline = time.monotonic() + deadline_s
    while not page.evaluate(predicate):
        assert time.monotonic() < deadline, f"still false after {deadline_s} s: {predicate}"
        time.sleep(0.25)


def upload_the_video(site, browser, clip):
    with browser_page(browser, viewport=DESKTOP) as page:
        log_in(page, site, TRAINER)
        page.goto(site.url + "/admin/documents/add/")
        page.fill("#id_title", VIDEO_TITLE)
        page.set_input_files("#id_file", str(clip))
        page.locator("form:has(#id_file) button[type=submit]").first.click()
        page.wait_for_url(lambda url: "/admin/documents/add/" not in url)
    return site_json(site, f"""
from wagtail.documents import get_document_model
print(json.dumps(get_document_model().objects.get(title={VIDEO_TITLE!r}).pk))
""")


def place_it_in_a_module(site, document_id):
    """A new open course with one module holding the video, published (as a reviewer would after review)."""
    site.shell(f"""
from decimal import Decimal
from wagtail.documents import get_document_model
from shixun.courses.models import CataloguePage, CoursePage, ModulePage
catalogue = CataloguePage.objects.get(slug="courses")
course = CoursePage(title="课堂导入技巧", slug={COURSE_SLUG!r}, summary="看一段课堂导入的示范视频")
catalogue.add_child(instance=course)
course.save_revision().publish()
module = ModulePage(title="导入示范", slug={MODULE_SLUG!r}, credit_hours=Decimal("0.5"), body=[
    ("paragraph", "<p>请完整观看下面的示范视频。</p>"),
    ("video", {{"title": "", "file": get_document_model().objects.get(pk={document_id}), "embed": None}}),
])
course.add_child(instance=module)
module.save_revision().publish()
""")


def watching(site):
    return site_json(site, f"""
from shixun.courses.models import ActivityProgress, ModuleCompletion, VideoWatch
from shixun.transcripts.models import LedgerEntry
watch = VideoWatch.objects.filter(user__username={TEACHER!r}, module__slug={MODULE_SLUG!r}).first()
print(json.dumps({{
    "covered": watch.covered_seconds if watch else 0,
    "steps": dict(ActivityProgress.objects.filter(user__username={TEACHER!r}, module__slug={MODULE_SLUG!r})
        .values_list("activity_key", "status")),
    "completed": ModuleCompletion.objects.filter(user__username={TEACHER!r}, module__slug={MODULE_SLUG!r}).exists(),
    "ledger": [str(e.hours) for e in LedgerEntry.objects.filter(learner__username={TEACHER!r},
                                                                title__endswith="导入示范")],
}}))
""")


def test_teacher_watches_a_real_video_on_a_phone_until_the_step_is_done(site, browser, screenshot, tmp_path):
    clip = tmp_path / "daoru.webm"
    make_clip(clip, SECONDS)
    place_it_in_a_module(site, upload_the_video(site, browser, clip))

    with browser_page(browser) as page:
        log_in(page, site, TEACHER)
        page.goto(f"{site.url}/courses/{COURSE_SLUG}/")
        page.get_by_role("button", name="报名", exact=True).click()
        page.wait_for_load_state()
        assert "报名成功" in messages_text(page)
        page.goto(f"{site.url}/courses/{COURSE_SLUG}/{MODULE_SLUG}/")
        step = page.locator("ol.steps li", has_text=f"观看视频：{VIDEO_TITLE}")
        assert "未开始" in step.inner_text()
        percent = page.locator("[data-video-percent]")
        assert percent.inner_text() == "已观看 0%"
        video = page.locator("video[data-video-report]")
        video.wait_for()
        assert_fits_a_phone(page)
        screenshot(page, "video-before")

        # The lesson's study time (1.15 s here, from the page's heartbeats) is done first, so the video is the
        # step that completes the module: on a loaded machine the beats could otherwise finish after the video,
        # and the module would then be completed by the lesson (the video's message rightly says "watched").
        expect(page.locator("[data-step-status='lesson']")).to_have_text("已完成", timeout=CLUSTER_DEADLINE_S * 1000)

        # The real player: metadata from the server (Range requests), then play at 2×, muted so no gesture is needed.
        # (Waits poll from Python: the page's Content-Security-Policy forbids Playwright's string predicates.)
        poll(page, "() => document.querySelector('video').readyState >= 1")
        assert page.evaluate("() => document.querySelector('video').duration") == pytest.approx(SECONDS, abs=0.5)
        page.evaluate("""() => { const v = document.querySelector('video');
            v.muted = true; v.playbackRate = 2; return v.play(); }""")
        poll(page, "() => document.querySelector('video').ended")

        # The page updates in place, without a reload.
        expect(percent).to_have_text("已观看 100%", timeout=CLUSTER_DEADLINE_S * 1000)
        expect(page.locator("[data-step-status^='video:']")).to_have_text("已完成")
        assert "ok" in page.locator("[data-step-status^='video:']").get_attribute("class")
        assert "本单元已完成" in page.locator("[data-video-message]").inner_text()
        expect(page.locator("#next-step")).to_contain_text("本单元已完成")  # no longer "next: watch the video"
        assert_fits_a_phone(page)
        screenshot(page, "video-watched")

    state = watching(site)
    assert state["covered"] == pytest.approx(SECONDS, abs=0.5)
    assert [status for key, status in state["steps"].items() if key.startswith("video:")] == ["done"]
    assert state["completed"]
    deadline = time.monotonic() + CLUSTER_DEADLINE_S  # the cluster posts the hours in the background
    while not state["ledger"] and time.monotonic() < deadline:
        time.sleep(1)
        state = watching(site)
    assert state["ledger"] == ["0.5"], "the module's hours did not reach the ledger"
