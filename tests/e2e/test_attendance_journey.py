"""Attendance in a real browser: the trainer shows the code at desktop width, a teacher scans it on a phone.

The teacher's phone opens the URL the QR code holds (decoded from a screenshot of the trainer's page
with zxing-cpp, as a camera would), logs in, comes back and signs in with the big button; the trainer's
class list then shows them present (or late). On the demo's past session, the teacher with approved
leave is shown on leave, not absent, and is not counted in the unexcused days; the school admin
approves the pending leave request in the browser.
"""

import io

import pytest

from .conftest import DESKTOP, PHONE, log_in
from .helpers import assert_fits_a_phone, browser_page, messages_text, site_json

pytestmark = pytest.mark.e2e

TRAINER = "trainer1"
TEACHER = "t0003"


def demo_sessions(site) -> dict:
    return site_json(site, """
from shixun.attendance.models import Session
from shixun.attendance.services import unexcused_absence_days
sessions = {s.title: s.pk for s in Session.objects.filter(course__slug="hunhe-guancha")}
course = Session.objects.filter(course__slug="hunhe-guancha").first().course
from django.contrib.auth import get_user_model
names = {u.username: u.pk for u in get_user_model().objects.filter(username__in=["t0005", "t0006", "t0003"])}
days = unexcused_absence_days(course)
print(json.dumps({"sessions": sessions, "days": {k: days.get(v) for k, v in names.items()}}, ensure_ascii=False))
""")


def test_trainer_shows_the_code_and_a_phone_signs_in(site, browser):
    import zxingcpp
    from PIL import Image

    state = demo_sessions(site)
    today = state["sessions"]["集中研修：听课与评课"]
    with browser_page(browser, viewport=DESKTOP) as trainer:
        log_in(trainer, site, TRAINER)
        trainer.goto(site.url + "/attendance/trainer/")
        trainer.locator(f"#session-{today} a", has_text="展示签到码").click()
        trainer.wait_for_load_state()
        assert trainer.locator("#short-code").inner_text().strip().isdigit()
        shot = trainer.locator(".att-qr").screenshot()
        decoded = zxingcpp.read_barcodes(Image.open(io.BytesIO(shot)))
        assert decoded, "the QR code on the trainer's page could not be read"
        scan_url = decoded[0].text
        assert "/attendance/s/" in scan_url

        with browser_page(browser, viewport=PHONE) as phone:
            phone.goto(scan_url)
            assert "/accounts/login/" in phone.url  # log in first, then back to the code's page
            phone.fill("input[name=username]", TEACHER)
            phone.fill("input[name=password]", "shixun2026")
            phone.locator("form:has(input[name=password]) button[type=submit]").click()
            phone.wait_for_load_state()
            assert "/attendance/s/" in phone.url
            button = phone.get_by_role("button", name="签到")
            assert button.bounding_box()["height"] >= 44
            assert_fits_a_phone(phone)
            button.click()
            phone.wait_for_load_state()
            assert "签到" in messages_text(phone)
            # Scanning again is refused with a clear message, and nothing is recorded twice.
            phone.goto(scan_url)
            phone.get_by_role("button", name="签到").click()
            phone.wait_for_load_state()
            assert "无需重复签到" in phone.content()

        trainer.goto(site.url + f"/attendance/session/{today}/class/")
        status = trainer.locator(f"[data-learner={TEACHER}] .att-status").get_attribute("data-status")
        assert status in ("present", "late")


def test_approved_leave_is_not_absence_and_the_school_approves_leave(site, browser):
    state = demo_sessions(site)
    past = state["sessions"]["开班集中研修：课堂观察量表"]
    assert state["days"]["t0006"] == 0 and state["days"]["t0005"] >= 1
    with browser_page(browser, viewport=PHONE) as trainer:
        log_in(trainer, site, TRAINER)
        trainer.goto(site.url + f"/attendance/session/{past}/class/")
        assert_fits_a_phone(trainer)
        assert trainer.locator("[data-learner=t0006] .att-status").get_attribute("data-status") == "on_leave"
        assert trainer.locator("[data-learner=t0005] .att-status").get_attribute("data-status") == "absent"
    with browser_page(browser, viewport=PHONE) as admin:
        log_in(admin, site, "gz-shiyan.admin")
        admin.goto(site.url + "/attendance/leave/")
        assert "当天带学生参加区运动会" in admin.content(), (admin.url, admin.content()[:3000])
        card = admin.locator("article", has_text="当天带学生参加区运动会")
        card.get_by_role("button", name="批准", exact=True).click()  # not "不批准"
        admin.wait_for_load_state()
        assert "已批准请假" in messages_text(admin)
