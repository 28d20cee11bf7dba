"""A teacher's journey through the real site, in a real browser, with a real django-q2 cluster.

t0020 (甘州区第二中学) starts from the demo data: not enrolled in the open
course 师德师风建设, and assigned (like every teacher of the district) the
course 信息技术应用能力提升, whose three modules hold a quiz (办公软件高效使用),
an assignment a trainer must accept (多媒体课件设计与制作) and an H5P activity
(在线教学平台与混合式教学). Completing all three completes the course, which
issues a certificate.

The journey is split in two tests so that a broken H5P setup does not hide
the rest: the second continues where the first stopped (and does the first's
steps itself when run alone).
"""

import re

import pytest

from shixun.assessments.h5p import demo as h5p_demo

from .conftest import log_in
from .helpers import (
    CLUSTER_DEADLINE_S,
    assert_fits_a_phone,
    browser_page,
    courseware_pdf,
    download,
    messages_text,
    pdf_text,
    qr_codes_in_pdf,
    reload_until,
    site_json,
    study_the_lesson,
)

pytestmark = pytest.mark.e2e

TEACHER = "t0020"
TRAINER = "trainer2"  # trainer of 信息技术应用能力提升 in the demo
IT_COURSE = "/courses/xinxi-jishu/"
QUIZ_MODULE = IT_COURSE + "xinxi-bangong/"
ASSIGNMENT_MODULE = IT_COURSE + "xinxi-kejian/"
H5P_MODULE = IT_COURSE + "xinxi-zaixian/"
COURSEWARE_NAME = "《背影》课件.pdf"


def completed_modules(site, username) -> dict:
    """{module slug: credit hours} of the teacher's module completions."""
    return site_json(
        site,
        f"""
from shixun.courses.models import ModuleCompletion
print(json.dumps({{c.module.slug: str(c.credit_hours)
    for c in ModuleCompletion.objects.filter(user__username={username!r}).select_related("module")}}))
""",
    )


def ledger_entries(site, username) -> list:
    return site_json(
        site,
        f"""
from shixun.transcripts.models import LedgerEntry
print(json.dumps([[e.title, str(e.hours), e.source_kind, e.source_ref]
    for e in LedgerEntry.objects.filter(learner__username={username!r}).order_by("pk")], ensure_ascii=False))
""",
    )


def quiz_answer_key(site, attempt_id: int) -> list:
    """The questions frozen into one attempt, with their correct answers (looked up, not changed)."""
    return site_json(
        site,
        f"""
from shixun.assessments.quizzes.models import AttemptQuestion
print(json.dumps([{{"field": i.field_name, **i.snapshot}}
    for i in AttemptQuestion.objects.filter(attempt_id={attempt_id})], ensure_ascii=False))
""",
    )


# --- steps ------------------------------------------------------------------------


def look(page, screenshot, name: str) -> None:
    """A key page of the teacher's: keep its picture, and check it fits a phone."""
    screenshot(page, name)
    assert_fits_a_phone(page)


def enrol_in_the_open_course_and_read_a_lesson(site, page, screenshot):
    page.goto(site.url + "/courses/")
    look(page, screenshot, "catalogue")
    page.get_by_role("link", name="师德师风建设").first.click()
    page.wait_for_load_state()
    page.get_by_role("button", name="报名", exact=True).click()
    page.wait_for_load_state()
    assert "报名成功" in messages_text(page)
    assert "已完成 0 / 4 个单元" in page.inner_text("main")
    look(page, screenshot, "enrolled")
    page.get_by_role("link", name=re.compile("^开始学习")).click()
    page.wait_for_load_state()
    assert page.url.endswith("/courses/shide-shifeng/shide-guifan/")
    # Opening the module is not reading its lesson: the clock runs while the teacher reads, then the
    # first step is ticked off in place.
    lesson_step = page.locator("ol.steps li", has_text="阅读本单元学习内容")
    assert "已完成" not in lesson_step.inner_text()
    look(page, screenshot, "lesson")
    study_the_lesson(page)
    progress = site_json(
        site,
        f"""
from shixun.courses.models import ActivityProgress
print(json.dumps(list(ActivityProgress.objects.filter(user__username={TEACHER!r}, module__slug="shide-guifan")
    .values_list("activity_key", "status"))))
""",
    )
    assert progress == [["lesson", "done"]]


def fail_the_quiz_then_pass_the_retake(site, page, screenshot):
    page.goto(site.url + IT_COURSE)
    page.get_by_role("link", name=re.compile("^(开始学习|继续学习): 办公软件高效使用")).click()
    page.wait_for_load_state()
    assert page.url.endswith(QUIZ_MODULE)
    study_the_lesson(page)
    page.get_by_role("button", name="开始答题").click()
    page.wait_for_load_state()
    assert re.search(r"/quizzes/attempt/\d+/$", page.url)
    look(page, screenshot, "quiz-attempt")

    # First attempt: hand in without answering.
    page.get_by_role("button", name="交卷").click()
    page.wait_for_load_state()
    result = page.locator("main").inner_text()
    assert "0%" in result and "卷面得分 0 / " in result and "未通过" in result  # percent first, points second
    assert "你还有 2 次机会" in result
    look(page, screenshot, "quiz-failed")

    page.get_by_role("button", name="参加补考").first.click()
    page.wait_for_load_state()
    attempt_id = int(re.search(r"/quizzes/attempt/(\d+)/$", page.url).group(1))
    key = quiz_answer_key(site, attempt_id)
    assert len(key) == 6
    for question in key:
        field = question["field"]
        if question["kind"] in ("single", "multiple"):
            for option in question["options"]:
                if option["correct"]:
                    page.locator(f"input[name='{field}'][value='{option['id']}']").check()
        elif question["kind"] == "true_false":
            page.locator(f"input[name='{field}'][value='{'true' if question['answer'] else 'false'}']").check()
        elif question["kind"] == "fill_blank":
            # Typed on a phone's full-width keyboard: still right (NFKC + casefold).
            full_width = "".join(chr(ord(c) + 0xFEE0) if "!" <= c <= "~" else c for c in question["accepted"][0])
            page.locator(f"input[type=text][name='{field}']").fill(full_width.lower())
        else:
            raise AssertionError(f"unexpected question kind {question['kind']} in an objective quiz")
    page.get_by_role("button", name="交卷").click()
    page.wait_for_load_state()
    result = page.locator("main").inner_text()
    assert "第 2 次作答" in result and "100%" in result and "已通过" in result
    look(page, screenshot, "quiz-passed")

    page.get_by_role("link", name="返回单元").click()
    page.wait_for_load_state()
    # Back on the module page, its steps are current: the quiz done, the module complete.
    assert "本单元已完成" in page.locator("#next-step").inner_text()
    assert page.locator("ol.steps [data-step-status^='quiz:'].ok").count() == 1


def hand_in_the_courseware(site, page, screenshot) -> bytes:
    page.get_by_role("link", name=re.compile("^下一单元: 多媒体课件设计与制作")).click()
    page.wait_for_load_state()
    assert page.url.endswith(ASSIGNMENT_MODULE)
    study_the_lesson(page)
    page.get_by_role("link", name="提交作业", exact=True).click()
    page.wait_for_load_state()
    look(page, screenshot, "hand-in")
    pdf = courseware_pdf("《背影》课件")
    page.set_input_files(
        "form.hand-in-form input[type=file]",
        files=[{"name": COURSEWARE_NAME, "mimeType": "application/pdf", "buffer": pdf}],
    )
    page.locator("form.hand-in-form button[type=submit]").click()
    page.wait_for_load_state()
    assert "已提交" in messages_text(page)
    main = page.locator("main").inner_text()
    assert "等待批阅" in main and COURSEWARE_NAME in main
    look(page, screenshot, "handed-in")
    # The module waits for the trainer: no completion yet.
    assert "xinxi-kejian" not in completed_modules(site, TEACHER)
    return pdf


def trainer_accepts_the_courseware(site, browser, screenshot, handed_in: bytes):
    with browser_page(browser) as page:
        log_in(page, site, TRAINER)
        page.goto(site.url + "/assignments/review/")
        page.select_option("#id_school", label="甘州区第二中学")
        page.get_by_role("button", name="筛选").click()
        page.wait_for_load_state()
        screenshot(page, "review-queue")
        page.locator("tr", has_text=TEACHER.upper()).get_by_role("link", name="审核").click()
        page.wait_for_load_state()
        # The trainer opens exactly the file the teacher handed in.
        name, content = download(page, page.get_by_role("link", name=re.compile("^下载")))
        assert name == COURSEWARE_NAME
        assert content == handed_in
        page.fill("#id_score", "90")
        page.fill("#id_feedback", "课件结构清楚，字号适合后排学生，通过。")
        screenshot(page, "review")
        page.get_by_role("button", name="通过", exact=True).click()
        page.wait_for_load_state()
        assert "已保存" in messages_text(page)


def wait_for_hours_on_the_transcript(page, site, expected_rows: dict, screenshot, name: str):
    """expected_rows: {module title: hours text}; refreshed until the cluster has posted them."""
    page.goto(site.url + "/transcript/")

    def posted(p):
        text = p.locator("main").inner_text()
        return all(re.search(re.escape(title) + r"[^\n]*\t" + re.escape(hours), text)
                   for title, hours in expected_rows.items())

    reload_until(page, posted, deadline_s=CLUSTER_DEADLINE_S, what=f"transcript rows {expected_rows}")
    look(page, screenshot, name)


def first_modules_done(site) -> bool:
    done = completed_modules(site, TEACHER)
    return "xinxi-bangong" in done and "xinxi-kejian" in done


# --- the journeys ---------------------------------------------------------------


def test_teacher_enrols_learns_retakes_a_quiz_hands_in_work_and_gets_the_hours(site, browser, screenshot):
    with browser_page(browser) as page:
        log_in(page, site, TEACHER)
        assert page.url == site.url + "/learn/"
        assert "我的学习" in page.inner_text("main")
        look(page, screenshot, "my-learning")

        enrol_in_the_open_course_and_read_a_lesson(site, page, screenshot)
        fail_the_quiz_then_pass_the_retake(site, page, screenshot)
        handed_in = hand_in_the_courseware(site, page, screenshot)

        trainer_accepts_the_courseware(site, browser, screenshot, handed_in)

        page.goto(site.url + ASSIGNMENT_MODULE)
        main = page.locator("main").inner_text()
        assert "本单元已完成" in main
        assert "课件结构清楚" in main  # the trainer's feedback reaches the teacher
        wait_for_hours_on_the_transcript(
            page,
            site,
            {"信息技术应用能力提升 · 办公软件高效使用": "2.0", "信息技术应用能力提升 · 多媒体课件设计与制作": "3.0"},
            screenshot,
            "transcript",
        )

    # Exactly one credit entry per completed module: nothing lost, nothing doubled.
    # (The ethics module is not complete: reading its lesson is one step, its quiz another.)
    assert completed_modules(site, TEACHER) == {"xinxi-bangong": "2.0", "xinxi-kejian": "3.0"}
    entries = ledger_entries(site, TEACHER)
    module_entries = [e for e in entries if e[2] == "module_completion"]
    assert sorted(e[1] for e in module_entries) == ["2.0", "3.0"], entries
    assert len({e[3] for e in module_entries}) == len(module_entries)


def test_teacher_plays_h5p_completes_the_course_and_the_certificate_verifies(site, browser, screenshot):
    if not first_modules_done(site):  # run alone: do the first journey's steps first
        test_teacher_enrols_learns_retakes_a_quiz_hands_in_work_and_gets_the_hours(site, browser, screenshot)
    learner = site_json(
        site,
        f"""
from shixun.accounts.models import User
u = User.objects.get(username={TEACHER!r})
p = u.shixun_profile
print(json.dumps({{"name": p.display_name, "staff_number": p.staff_number}}, ensure_ascii=False))
""",
    )
    with browser_page(browser) as page:
        problems = []
        page.on("pageerror", lambda error: problems.append(str(error)))
        log_in(page, site, TEACHER)
        page.goto(site.url + H5P_MODULE)
        study_the_lesson(page)
        frame = page.locator("iframe[data-h5p-player]")
        assert frame.get_attribute("sandbox") == "allow-scripts allow-same-origin"
        assert frame.get_attribute("src").startswith(site.content_url + "/")
        content = page.frame_locator("iframe[data-h5p-player]").frame_locator("iframe.h5p-iframe")
        badge = page.locator("[data-h5p-status-for^='h5p:']")
        # The demo plays real hub content (H5P.TrueFalse), its question in Chinese.
        content.get_by_text(h5p_demo.QUESTION).wait_for()
        assert page.viewport_size["width"] == 360
        step = page.locator("ol.steps [data-step-status^='h5p:']")
        assert "ok" not in step.get_attribute("class")
        assert "去完成" in page.locator("#next-step").inner_text()  # the H5P activity is the next step
        page.evaluate("window.shixunSamePage = true")  # gone if the page reloads
        content.get_by_role("radio", name=h5p_demo.FALSE_TEXT).click()
        content.get_by_role("button", name=h5p_demo.CHECK).click()
        page.locator("[data-h5p-status-for^='h5p:'].bad").wait_for()
        assert "xinxi-zaixian" not in completed_modules(site, TEACHER)
        content.get_by_role("button", name=h5p_demo.RETRY).click()
        content.get_by_role("radio", name=h5p_demo.TRUE_TEXT).click()
        content.get_by_role("button", name=h5p_demo.CHECK).click()
        page.locator("[data-h5p-status-for^='h5p:'].ok").wait_for()
        assert badge.inner_text().strip() == "已完成"
        # Issue 16: the module's step list and next-step card follow at once, without a reload.
        page.locator("ol.steps [data-step-status^='h5p:'].ok").wait_for()
        page.locator("#next-step", has_text="本单元已完成").wait_for()
        assert "去完成" not in page.locator("#next-step").inner_text()
        assert page.evaluate("window.shixunSamePage") is True
        assert page.locator(".h5p-feedback").inner_text() == "本单元已完成。下一步已显示在页面顶部。"
        assert_fits_a_phone(page)
        look(page, screenshot, "h5p-done")
        page.reload()
        assert "本单元已完成" in page.locator("#next-step").inner_text()

        page.goto(site.url + IT_COURSE)
        course_page = page.locator("main").inner_text()
        assert "你已完成本课程。" in course_page and "已完成 3 / 3 个单元" in course_page

        wait_for_hours_on_the_transcript(
            page, site, {"信息技术应用能力提升 · 在线教学平台与混合式教学": "3.0"}, screenshot, "transcript-complete"
        )
        reload_until(
            page,
            lambda p: p.locator("ul.certificates li", has_text="信息技术应用能力提升").count() == 1,
            what="the course certificate on the transcript",
        )
        certificate_item = page.locator("ul.certificates li", has_text="信息技术应用能力提升")
        assert "8.0" in certificate_item.inner_text() and "有效" in certificate_item.inner_text()
        look(page, screenshot, "certificate-listed")
        name, pdf = download(page, certificate_item.get_by_role("link", name="下载证书"))
        assert name.endswith(".pdf")
        # The teacher also finds it where they look first: the course page and the dashboard.
        page.goto(site.url + IT_COURSE)
        assert page.get_by_role("link", name="下载结业证书（PDF）").count() == 1
        page.goto(site.url + "/learn/")
        assert page.get_by_role("link", name="下载结业证书（PDF）").count() == 1
    # No error, the localStorage one included: the content origin is same-site, so H5P core gets storage.
    assert problems == []

    text = pdf_text(pdf)
    assert learner["name"] in text and "信息技术应用能力提升" in text and "8.0" in text
    code = re.search(r"验证码：(\w+)", text).group(1)
    verification_url = f"{site.url}/v/{code}/"
    # The QR code on the certificate decodes to the public verification address printed beside it.
    assert qr_codes_in_pdf(pdf) == [verification_url]
    assert verification_url in text.replace("\n", "")

    # Anyone can verify it, without logging in, and learns nothing else about the person.
    with browser_page(browser) as anonymous:
        anonymous.goto(verification_url)
        main = anonymous.locator("main").inner_text()
        assert "有效" in main and "信息技术应用能力提升" in main and code in main
        assert learner["staff_number"] not in main and "甘州区第二中学" not in main
        screenshot(anonymous, "certificate-verified")
