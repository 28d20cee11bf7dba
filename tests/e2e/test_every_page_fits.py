"""Every page each role opens, at phone and desktop width: no sideways scrolling, no control a thumb
cannot hit, nothing axe-core calls serious or critical (issue #16).

Runs against the demo site (tests/e2e/conftest.py). Screenshots of every page at both widths go to
test-artifacts/screenshots for people to look at. axe-core comes from the npm registry
(package.json devDependencies), injected into each page (the context bypasses the site's
Content-Security-Policy for that script only: the audit is not part of the site).
"""

import json
from pathlib import Path

import pytest

from .conftest import ARTIFACTS, DESKTOP, PHONE, log_in
from .helpers import PAGE_TIMEOUT_MS, site_json

pytestmark = pytest.mark.e2e

AXE = Path(__file__).resolve().parents[2] / "node_modules" / "axe-core" / "axe.min.js"
MIN_TARGET = 44  # px, WCAG 2.5.5

# Controls smaller than 44 × 44 px, visible on the page. A link inside a sentence is exempt (WCAG's
# "inline" exception): a link whose parent holds other text besides it. A checkbox or radio inside a
# label is measured by its label (the label is what the thumb hits).
SMALL_CONTROLS_JS = """
(minimum) => {
  const small = [];
  const visible = (el) => {
    const r = el.getBoundingClientRect();
    const style = getComputedStyle(el);
    return r.width > 0 && r.height > 0 && style.visibility !== 'hidden' && r.right > 0 && r.bottom > 0;
  };
  for (const el of document.querySelectorAll('a[href], button, input:not([type=hidden]), select, textarea, summary')) {
    if (!visible(el) || el.closest('.skip-link')) continue;
    let target = el;
    if (el.tagName === 'A') {
      const parentText = (el.parentElement.innerText || '').replace(/\\s+/g, '');
      const ownText = (el.innerText || '').replace(/\\s+/g, '');
      if (parentText !== ownText) continue;  // inline in text
    }
    if (el.type === 'checkbox' || el.type === 'radio') target = el.closest('label') || el;
    const r = target.getBoundingClientRect();
    if (r.width < minimum - 0.5 || r.height < minimum - 0.5) {
      small.push(`${el.tagName.toLowerCase()} "${(el.innerText || el.value || el.name || '').trim().slice(0, 30)}" `
        + `${Math.round(r.width)}×${Math.round(r.height)}`);
    }
  }
  return small;
}
"""


def demo_urls(site) -> dict:
    return site_json(site, """
from django.urls import reverse
from shixun.courses.models import CoursePage, ModulePage
course = CoursePage.objects.live().get(slug="shide-shifeng")
module = ModulePage.objects.live().child_of(course).first()
it_course = CoursePage.objects.live().get(slug="xinxi-jishu")
h5p_module = ModulePage.objects.live().child_of(it_course).get(slug="xinxi-zaixian")
# The graded ethics course (trainer1): its grade sheet has components and a half-graded learner.
quiz_module, quiz = next((m, c.value["quiz"]) for m in ModulePage.objects.live().child_of(course)
                         for c in m.body if c.block_type == "quiz")
print(json.dumps({
    "course": course.url, "module": module.url, "h5p_module": h5p_module.url,
    "grade_sheet": reverse("transcripts:grades", args=[course.pk]),
    "quiz_results": reverse("quizzes:results", args=[quiz_module.pk, quiz.pk]),
}))
""")


ROLES = {
    # username: (pages, learner pages get the 44 px check)
    "t0001": ([
        "/learn/", "/transcript/", "{course}", "{module}", "/accounts/profile/", "/schools/me/external-training/",
        "/learn/catalogue/", "/inbox/", "{h5p_module}",
    ], True),
    # The trainer of 师德师风建设 (graded; assignments waiting), on the site's own (not Wagtail admin) pages.
    "trainer1": ([
        "/transcript/grades/", "{grade_sheet}", "/assignments/review/", "/quizzes/manage/", "{quiz_results}",
        "/quizzes/manage/grading/",
    ], True),
    "gz-shiyan.admin": (["/schools/gz-shiyan/", "/schools/gz-shiyan/exports/", "/learn/manage/"], False),
    "district.admin": (["/schools/districts/ganzhou/", "/transcript/rules/"], False),
}


def audit(page) -> list[str]:
    page.add_script_tag(path=str(AXE))
    result = page.evaluate("""async () => {
        const r = await axe.run(document, {resultTypes: ['violations']});
        return r.violations.filter(v => ['serious', 'critical'].includes(v.impact))
            .map(v => `${v.id} (${v.impact}): ${v.nodes.slice(0, 3).map(n => n.target.join(' ')).join(', ')}`);
    }""")
    return result


@pytest.mark.parametrize("username", sorted(ROLES))
def test_every_page_of_a_role_fits_a_phone_and_passes_axe(site, browser, username):
    urls = demo_urls(site)
    pages, learner = ROLES[username]
    context = browser.new_context(viewport=PHONE, locale="zh-CN", bypass_csp=True)
    context.set_default_timeout(PAGE_TIMEOUT_MS)
    page = context.new_page()
    problems = []
    try:
        log_in(page, site, username)
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        for path in pages:
            path = path.format(**urls)
            for label, size in (("phone", PHONE), ("desktop", DESKTOP)):
                page.set_viewport_size(size)
                response = page.goto(site.url + path)
                assert response.status < 400, f"{path} answered {response.status} for {username}"
                page.wait_for_load_state("networkidle")
                if page.locator("iframe[data-h5p-player]").count():
                    # Audit and show the H5P module page with its (hub) content on screen, not an empty frame.
                    player = page.frame_locator("iframe[data-h5p-player]").frame_locator("iframe.h5p-iframe")
                    player.get_by_role("button").first.wait_for(timeout=20_000)
                name = path.strip("/").replace("/", "_") or "home"
                page.screenshot(path=str(ARTIFACTS / f"fits-{username}-{name}-{label}.png"), full_page=True)
                if label == "phone":
                    width = page.evaluate("document.documentElement.scrollWidth")
                    if width > PHONE["width"]:
                        problems.append(f"{path}: {width} px wide at {PHONE['width']} px")
                    # The school's teacher table is cards on a phone: names are not squeezed to two characters.
                    narrowest = page.evaluate("""() => Math.min(...[...document.querySelectorAll(
                        '.dashboard-table td.teacher-name')].map(td => td.getBoundingClientRect().width), 9999)""")
                    if narrowest < 200:
                        problems.append(f"{path}: a teacher's name cell is {narrowest} px wide on a phone")
                    if learner:
                        problems += [f"{path}: small control {c}" for c in page.evaluate(SMALL_CONTROLS_JS, MIN_TARGET)]
                problems += [f"{path} at {label}: axe {v}" for v in audit(page)]
    finally:
        context.close()
    assert problems == [], json.dumps(problems, ensure_ascii=False, indent=1)
