"""A teacher takes the demo IT quiz in a real browser on a phone: autosave, timer, submit, result.

Uses the e2e site (tests/e2e/conftest.py: web server + cluster on the demo data).
"""

import json

import pytest

from tests.e2e.conftest import PHONE, log_in, screenshot  # noqa: F401  (fixtures used by name)

pytestmark = [pytest.mark.e2e, pytest.mark.xdist_group("e2e")]


@pytest.fixture
def page(browser):
    context = browser.new_context(viewport=PHONE, locale="zh-CN")
    page = context.new_page()
    errors = []
    page.on("console", lambda message: errors.append(message.text) if message.type == "error" else None)
    page.csp_errors = errors
    yield page
    context.close()


def demo_quiz(site) -> dict:
    """Ids of the IT quiz and its module; gives the quiz a 10-minute limit and makes sure t0001 is enrolled."""
    code = (
        "import json\n"
        "from shixun.assessments.quizzes.models import Quiz\n"
        "from shixun.courses.models import Enrolment, ModulePage\n"
        "from shixun.accounts.models import User\n"
        "quiz = Quiz.objects.get(title='办公软件小测验')\n"
        "quiz.time_limit_minutes = 10; quiz.shuffle_options = False; quiz.save()\n"
        "module = ModulePage.objects.get(slug='xinxi-bangong')\n"
        "user = User.objects.get(username='t0001')\n"
        "e, _ = Enrolment.objects.get_or_create(user=user, course_id=module.get_parent().pk)\n"
        "e.status = 'active'; e.save()\n"
        "print(json.dumps({'quiz': quiz.pk, 'module': module.pk}))\n"
    )
    return json.loads(site.shell(code).strip().splitlines()[-1])


def test_a_teacher_takes_a_quiz_on_a_phone(site, page, screenshot):  # noqa: F811
    ids = demo_quiz(site)
    log_in(page, site, "t0001")
    page.goto(f"{site.url}/quizzes/module/{ids['module']}/quiz/{ids['quiz']}/")
    assert "及格线" in page.content() and "限时 10 分钟" in page.content()
    screenshot(page, "quiz-rules")
    page.get_by_role("button", name="开始答题").click()
    page.wait_for_url("**/quizzes/attempt/**")

    timer = page.locator("#quiz-timer-value")
    assert timer.inner_text().startswith(("9:", "10:"))
    page.get_by_text("SUM", exact=True).click()
    page.locator("input[type=text]").first.fill("ａｖｅｒａｇｅ")
    # (a locator, not wait_for_function: the site's CSP forbids the eval that one needs)
    page.locator("#quiz-save-status", has_text="答案已保存").wait_for(timeout=15000)
    screenshot(page, "quiz-attempt")

    # The answers live on the server: a reload shows them.
    page.reload()
    assert page.locator("input[type=text]").first.input_value() == "ａｖｅｒａｇｅ"
    assert page.get_by_label("SUM", exact=True).is_checked()

    page.get_by_role("button", name="交卷").click()
    page.wait_for_url("**/result/")
    content = page.content()
    assert "下一步" in content
    # A retake is left, so the correct answers wait (the default review option).
    assert "答案与解析" not in content and "才会显示正确答案" in content
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    screenshot(page, "quiz-result")
    assert not [e for e in page.csp_errors if "Content Security Policy" in e]
