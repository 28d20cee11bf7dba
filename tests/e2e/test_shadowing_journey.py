"""Shadowing training (跟岗研修) in a real browser at 360 px, from the demo data.

t0012 (甘州区第二中学) is part-way through the autumn programme at 甘州区新乐小学
with mentor t0022. The teacher records a working day (journal, two observed
lessons) on a phone, the typed journal surviving a reload and a lost network,
and hands in the research report; the mentor takes attendance, comments and
writes the appraisal; the district closes the programme and both see their
60 hours on their transcripts.

The one change not made through the browser is time: the programme's last
day is moved to yesterday before the close (a district cannot close a
programme that is still running).
"""

import pytest

from .conftest import log_in
from .helpers import assert_fits_a_phone, browser_page, messages_text, site_json

pytestmark = pytest.mark.e2e

TEACHER, MENTOR, DISTRICT = "t0012", "t0022", "district.admin"
JOURNAL = "今天听了两节数学课，重点观察导师如何用问题串推进新课，并参加了教研组的说课活动，收获很多，准备回校后试用。"
REPORT = "本研究围绕课堂提问的有效性展开。" + "通过三轮课堂观察、改进与反思，提问的梯度和学生参与度明显提高。" * 40


def free_day(site) -> dict:
    """The participation, the programme and the first working day (before today) with no journal yet."""
    return site_json(site, f"""
from datetime import timedelta
from django.utils import timezone
from shixun.shadowing.models import Participant, JournalDay
p = Participant.objects.select_related("programme").get(teacher__username={TEACHER!r}, programme__status="open")
done = set(JournalDay.objects.filter(participant=p).values_list("day", flat=True))
day, today = p.programme.start_date, timezone.localdate()
while day < today and (day.weekday() >= 5 or day in done):
    day += timedelta(days=1)
assert day < today, "no free working day before today"
print(json.dumps({{"participant": p.pk, "programme": p.programme_id, "day": day.isoformat()}}))
""")


def shadowing_hours(site, username) -> list:
    return site_json(site, f"""
from shixun.transcripts.models import LedgerEntry
print(json.dumps([str(e.hours) for e in LedgerEntry.objects.filter(learner__username={username!r},
    source_kind="shadowing", title__contains="秋季")]))
""")


def test_teacher_day_mentor_appraisal_district_close(site, browser, screenshot):
    ids = free_day(site)
    day = ids["day"]
    workspace = f"{site.url}/shadowing/p/{ids['participant']}/"

    with browser_page(browser) as page:
        log_in(page, site, TEACHER)
        page.goto(site.url + "/shadowing/")
        assert page.url == workspace  # the teacher's one participation opens directly
        assert_fits_a_phone(page)
        counters = page.locator(".sh-counters")
        assert "12/20" in counters.inner_text() and "听课" in counters.inner_text()

        # A journal typed, kept across a reload and a lost network, then saved.
        page.fill("#journal-day", day)
        page.fill("#journal-text", JOURNAL)
        page.wait_for_function("document.querySelector('#journal .sh-draft').textContent.length > 0")
        page.reload()
        assert page.input_value("#journal-text") == JOURNAL and page.input_value("#journal-day") == day
        page.context.set_offline(True)
        try:
            page.locator("#journal button[type=submit]").click(timeout=5000)
            page.wait_for_timeout(500)
        except Exception:  # noqa: BLE001, S110 - the submit fails offline: that is the point
            pass
        page.context.set_offline(False)
        page.goto(workspace)
        assert page.input_value("#journal-text") == JOURNAL
        page.locator("#journal button[type=submit]").click()
        page.wait_for_load_state()
        assert "已保存" in messages_text(page)
        assert page.evaluate("Object.keys(localStorage).filter(k => k.endsWith(':journal')).length") == 0

        for n in (1, 2):
            page.locator("#observation summary").click()
            page.fill("#obs-day", day)
            page.fill("#obs-class", "七年级(3)班")
            page.fill("#obs-teacher", "导师")
            page.fill("#obs-notes", f"第{n}节：问题串设计层层递进，学生小组讨论充分。")
            page.locator("#observation button[type=submit]").click()
            page.wait_for_load_state()
            assert "已保存" in messages_text(page)
        assert "14/20" in page.locator(".sh-counters").inner_text()

        page.locator("#writing summary").click()
        page.select_option("#writing-kind", "report")
        page.fill("#writing-title", "初中数学课堂提问有效性的行动研究")
        page.fill("#writing-text", REPORT)
        page.locator("#writing button[type=submit]").click()
        page.wait_for_load_state()
        assert "已保存" in messages_text(page)
        assert_fits_a_phone(page)
        screenshot(page, "teacher-workspace")

    with browser_page(browser) as page:
        log_in(page, site, MENTOR)
        page.goto(site.url + "/shadowing/mentor/")
        assert_fits_a_phone(page)
        page.locator(".card h2 a").first.click()
        page.wait_for_load_state()
        page.fill("#att-day", day)
        page.check("input[name=status][value=present]")
        page.locator("#attendance button[type=submit]").click()
        page.wait_for_load_state()
        assert "已保存" in messages_text(page)
        journal_entry = page.locator(".sh-records li", has_text=JOURNAL[:12]).first
        journal_entry.locator("input[name=text]").fill("记录具体，能结合本校实际思考，很好。")
        journal_entry.locator("button[type=submit]").click()
        page.wait_for_load_state()
        assert "已保存" in messages_text(page)
        page.fill("#appr-score", "88")
        page.fill("#appr-text", "该同志跟岗期间出勤良好，无无故缺勤；听课、上课认真，研修报告有实践价值，考核合格。")
        page.locator("#appraisal button[type=submit]").click()
        page.wait_for_load_state()
        assert "已保存" in messages_text(page)
        assert_fits_a_phone(page)
        screenshot(page, "mentor-teacher")

    with browser_page(browser) as page:
        log_in(page, site, TEACHER)
        page.goto(workspace)
        assert "记录具体，能结合本校实际思考" in page.content()  # the mentor's comment reaches the teacher

    # Time passes: the programme's last day is yesterday.
    site.shell(
        "from datetime import timedelta\nfrom django.utils import timezone\n"
        "from shixun.shadowing.models import Programme\n"
        f"Programme.objects.filter(pk={ids['programme']}).update(end_date=timezone.localdate() - timedelta(days=1))"
    )
    with browser_page(browser) as page:
        log_in(page, site, DISTRICT)
        page.goto(f"{site.url}/shadowing/programmes/{ids['programme']}/")
        assert "导师工作量" in page.content() and "未完成的鉴定" in page.content()
        assert_fits_a_phone(page)
        page.locator("#close button[type=submit]").click()
        page.wait_for_load_state()
        assert "学时已认定" in messages_text(page)
        screenshot(page, "district-programme")

    assert shadowing_hours(site, TEACHER) == ["60.0"]
    assert shadowing_hours(site, MENTOR) == ["60.0"]
    for username in (TEACHER, MENTOR):
        with browser_page(browser) as page:
            log_in(page, site, username)
            page.goto(site.url + "/transcript/")
            text = page.locator("main").inner_text()
            assert "跟岗研修" in text and "2026年秋季骨干教师跟岗研修" in text and "60" in text
