"""A trainer writes a course in the Wagtail admin, a reviewer approves it, teachers find it.

Everything through the admin's own pages in a real browser: the page forms,
the category and quiz choosers, the StreamField's block menu, the "submit to
课程审核" action and the reviewer's dashboard. Split in two tests so that a
broken approval does not hide a broken authoring step; the second does the
first's steps itself when run alone.
"""

import re

import pytest

from .conftest import DESKTOP, log_in
from .helpers import browser_page, messages_text, site_json

pytestmark = pytest.mark.e2e

TRAINER = "trainer1"
REVIEWER = "reviewer"
COURSE_TITLE = "课堂提问的艺术"
MODULE_TITLE = "好问题的三个特点"
QUIZ_TITLE = "办公软件小测验"  # a quiz of the demo question bank


def page_state(site, title) -> dict | None:
    return site_json(
        site,
        f"""
from wagtail.models import Page
page = Page.objects.filter(title={title!r}).first()
state = page and page.workflow_states.order_by("-pk").first()
print(json.dumps(page and {{
    "id": page.pk, "live": page.live, "parent": page.get_parent().title, "type": page.specific_class.__name__,
    "workflow": state and state.status,
}}, ensure_ascii=False))
""",
    )


def admin_ready(page) -> None:
    """The admin's pages finish building themselves in JavaScript: wait for that before acting."""
    page.wait_for_load_state("networkidle")


def submit_for_review(page, *, check_no_publish=False) -> None:
    page.locator("footer button", has_text="更多动作").first.click()
    submit = page.get_by_role("button", name="提交给课程审核")
    submit.wait_for()
    if check_no_publish:
        assert page.locator("footer").get_by_role("button", name="发布").count() == 0
    with page.expect_navigation():
        submit.click()
    admin_ready(page)


def create_and_submit_course(site, browser, screenshot) -> dict:
    catalogue_id = site_json(
        site,
        """
from shixun.courses.models import CataloguePage
print(json.dumps(CataloguePage.objects.get(slug="courses").pk))
""",
    )
    with browser_page(browser, viewport=DESKTOP) as page:
        log_in(page, site, TRAINER)
        assert page.url.startswith(site.url + "/admin/")

        # The course, under the catalogue (课程中心), saved as a draft.
        page.goto(f"{site.url}/admin/pages/{catalogue_id}/add_subpage/")
        admin_ready(page)
        page.fill("#id_title", COURSE_TITLE)
        page.fill("#id_summary", "如何设计好的课堂提问，让每个学生都动脑思考。")
        page.get_by_role("button", name="选择 课程类别").click()
        page.locator(".modal").get_by_role("link", name="信息技术").click()
        page.locator(".modal").wait_for(state="hidden")
        page.locator(".Draftail-Editor [contenteditable=true]").first.click()
        page.keyboard.type("本课程通过课堂实录，分析好问题的特点和提问的时机。")
        page.select_option("#id_enrolment_mode", "open")
        screenshot(page, "admin-new-course")
        page.get_by_role("button", name="保存草稿").click()
        page.wait_for_url(re.compile(r"/admin/pages/\d+/edit/$"))
        admin_ready(page)
        course_id = int(re.search(r"/admin/pages/(\d+)/edit/$", page.url).group(1))

        # A module in it: a text block and a quiz block.
        page.goto(f"{site.url}/admin/pages/{course_id}/add_subpage/")
        admin_ready(page)
        page.fill("#id_title", MODULE_TITLE)
        page.fill("#id_credit_hours", "2")
        page.fill("#id_introduction", "认识好问题：有挑战、可讨论、指向目标。")
        page.locator("button.c-sf-add-button").last.click()
        page.get_by_role("option", name="文本").click()
        page.locator(".Draftail-Editor [contenteditable=true]").last.click()
        page.keyboard.type("好问题有三个特点：有挑战、可讨论、指向教学目标。")
        page.locator("button.c-sf-add-button").last.click()
        page.get_by_role("option", name="测验").click()
        page.get_by_role("button", name="选择 测验").click()
        page.locator(".modal").get_by_role("link", name=QUIZ_TITLE).click()
        page.locator(".modal").wait_for(state="hidden")
        screenshot(page, "admin-new-module")
        page.get_by_role("button", name="保存草稿").click()
        page.wait_for_url(re.compile(r"/admin/pages/\d+/edit/$"))
        admin_ready(page)
        module_id = int(re.search(r"/admin/pages/(\d+)/edit/$", page.url).group(1))

        # A trainer cannot publish: the only way out is review.
        submit_for_review(page, check_no_publish=True)
        assert f"页面 '{MODULE_TITLE}' 已经提交进行审核" in messages_text(page)
        page.goto(f"{site.url}/admin/pages/{course_id}/edit/")
        admin_ready(page)
        submit_for_review(page)
        assert f"页面 '{COURSE_TITLE}' 已经提交进行审核" in messages_text(page)
        screenshot(page, "admin-submitted")

    course, module = page_state(site, COURSE_TITLE), page_state(site, MODULE_TITLE)
    assert course == {"id": course_id, "live": False, "parent": "课程中心", "type": "CoursePage",
                      "workflow": "in_progress"}
    assert module == {"id": module_id, "live": False, "parent": COURSE_TITLE, "type": "ModulePage",
                      "workflow": "in_progress"}
    body = site_json(
        site,
        f"""
from shixun.courses.models import ModulePage
module = ModulePage.objects.get(pk={module_id}).get_latest_revision_as_object()
print(json.dumps([[b.block_type, str(b.value["quiz"]) if b.block_type == "quiz" else ""] for b in module.body],
    ensure_ascii=False))
""",
    )
    assert [kind for kind, _value in body] == ["paragraph", "quiz"]
    assert body[1][1] == QUIZ_TITLE
    return {"course": course_id, "module": module_id}


def test_trainer_writes_a_course_with_a_quiz_and_submits_it_for_review(site, browser, screenshot):
    create_and_submit_course(site, browser, screenshot)


def test_reviewer_approves_and_the_course_appears_in_the_catalogue(site, browser, screenshot):
    if page_state(site, COURSE_TITLE) is None:  # run alone: write the course first
        create_and_submit_course(site, browser, screenshot)
    with browser_page(browser, viewport=DESKTOP) as page:
        log_in(page, site, REVIEWER)
        admin_ready(page)
        screenshot(page, "reviewer-dashboard")
        for title in (COURSE_TITLE, MODULE_TITLE):
            page.goto(site.url + "/admin/")
            admin_ready(page)
            row = page.locator("tr", has=page.get_by_text(title, exact=True))
            row.locator("button[aria-label], .w-dropdown__toggle").last.click()
            row.get_by_role("button", name="审核通过").or_(row.get_by_role("link", name="审核通过")).click()
            admin_ready(page)
            assert "没有权限" not in messages_text(page), messages_text(page)
        screenshot(page, "reviewer-approved")
    assert page_state(site, COURSE_TITLE)["live"] is True
    assert page_state(site, MODULE_TITLE)["live"] is True

    # Teachers find it in the catalogue, with its module.
    with browser_page(browser) as page:
        log_in(page, site, "t0021")
        page.goto(site.url + "/courses/")
        page.get_by_role("link", name=COURSE_TITLE, exact=True).click()
        page.wait_for_load_state()
        main = page.locator("main").inner_text()
        assert MODULE_TITLE in main and "2.0 学时" in main
        screenshot(page, "new-course-in-catalogue")
