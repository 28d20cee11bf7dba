"""The hand-in page in a real browser at phone width: live character count, refusal, success.

Runs Debian's chromium against pytest-django's live server (the test's own
database), logged in with a real session cookie.
"""

from pathlib import Path

import pytest
from django.conf import settings

from shixun.assessments.assignments.models import Submission

from .conftest import hand_in_url

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

SCREENSHOTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "screenshots"
PHONE = {"width": 360, "height": 740}


@pytest.fixture
def phone_page(browser, live_server, client, org, setup):
    setup.assignment.answer_mode = "text"
    setup.assignment.allowed_kinds = []
    setup.assignment.min_text_chars = 20
    setup.assignment.save()
    client.force_login(org.teacher)
    context = browser.new_context(viewport=PHONE, locale="zh-CN")
    context.add_cookies(
        [
            {
                "name": settings.SESSION_COOKIE_NAME,
                "value": client.cookies[settings.SESSION_COOKIE_NAME].value,
                "url": live_server.url,
            }
        ]
    )
    page = context.new_page()
    problems = []
    page.on(
        "console",
        lambda message: (
            problems.append(message.text)
            if message.type == "error" and "Failed to load resource" not in message.text
            else None
        ),
    )
    page.on("pageerror", lambda error: problems.append(str(error)))
    # Every request the page makes must succeed (the stylesheet, the script), except a browser's favicon probe.
    page.on(
        "response",
        lambda response: (
            problems.append(f"{response.status} {response.url}")
            if response.status >= 400 and not response.url.endswith("/favicon.ico")
            else None
        ),
    )
    yield page, problems
    context.close()


def test_typed_answer_counts_live_refuses_short_and_accepts_enough(phone_page, live_server, setup, org):
    page, problems = phone_page
    page.goto(live_server.url + hand_in_url(setup.module, setup.assignment))
    counter = page.locator(".char-count")
    assert counter.inner_text() == "已输入 0 字（还差 20 字）"

    page.fill("textarea[name=text]", "今天 我上了\n一节课。")  # 9 characters: spaces and line breaks do not count
    assert counter.inner_text() == "已输入 9 字（还差 11 字）"
    page.click("button.hand-in-button")
    assert "请再补充 11 字后重新提交" in page.locator("#text-errors").inner_text()
    assert page.input_value("textarea[name=text]") == "今天 我上了\n一节课。"  # kept after the refusal
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / "assignment-hand-in-refused-phone.png"), full_page=True)

    page.fill("textarea[name=text]", "今天我上了一节关于分数的课，学生们积极参与讨论，收获很多。")
    assert counter.inner_text().startswith("已输入 ") and "还差" not in counter.inner_text()
    page.click("button.hand-in-button")
    assert "已提交" in page.locator(".messages").inner_text()
    page.screenshot(path=str(SCREENSHOTS / "assignment-hand-in-done-phone.png"), full_page=True)

    # Nothing overflows the phone's width, and the strict CSP let the script run without complaint.
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    assert problems == []
    assert Submission.objects.get(learner=org.teacher).current_version.text_chars == 29
