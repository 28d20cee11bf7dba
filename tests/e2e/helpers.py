"""Helpers shared by the browser journeys: looking things up on the running site,
waiting with a deadline, downloads, and small real files built in the test."""

from __future__ import annotations

import io
import json
import time
from contextlib import contextmanager
from pathlib import Path

from .conftest import PHONE

# Waiting on the site: the machine running the suite may be heavily loaded, so
# deadlines are generous, but every wait has one.
PAGE_TIMEOUT_MS = 60_000
CLUSTER_DEADLINE_S = 90


def site_json(site, code: str):
    """Run `code` in the site's `manage.py shell` and return the JSON it prints on its last line.

    For looking things up and checking results only: every change in a journey
    goes through the browser.
    """
    output = site.manage("shell", "--no-imports", "-c", "import json\n" + code)
    lines = [line for line in output.splitlines() if line.strip()]
    assert lines, f"the shell printed nothing for:\n{code}"
    return json.loads(lines[-1])


@contextmanager
def browser_page(browser, *, viewport=None):
    """A fresh browser context (its own cookies: one person) and a page in it."""
    context = browser.new_context(
        viewport=viewport or PHONE, locale="zh-CN", accept_downloads=True
    )
    context.set_default_timeout(PAGE_TIMEOUT_MS)
    context.set_default_navigation_timeout(PAGE_TIMEOUT_MS)
    page = context.new_page()
    try:
        yield page
    finally:
        context.close()


def assert_fits_a_phone(page) -> None:
    """Teachers use phones: nothing on the page may be wider than a 360 px screen (no sideways scrolling)."""
    assert page.viewport_size["width"] == PHONE["width"]
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE["width"], f"{page.url} is {width} px wide on a {PHONE['width']} px phone"


def reload_until(page, ready, *, deadline_s: float = CLUSTER_DEADLINE_S, every_s: float = 1.0, what: str = ""):
    """Refresh the page until `ready(page)` is true, as a person would, within a deadline.

    For results the django-q2 cluster produces in the background (posted
    credit, prepared exports): never a fixed sleep.
    """
    deadline = time.monotonic() + deadline_s
    while True:
        if ready(page):
            return
        if time.monotonic() > deadline:
            raise AssertionError(
                f"not ready after {deadline_s:.0f} s: {what}\n{page.url}\n{page.inner_text('body')[:3000]}"
            )
        page.wait_for_timeout(int(every_s * 1000))
        page.reload()
        page.wait_for_load_state()


def download(page, locator) -> tuple[str, bytes]:
    """Click a download link and return (suggested file name, content)."""
    with page.expect_download() as info:
        locator.click()
    path = info.value.path()
    return info.value.suggested_filename, Path(path).read_bytes()


def messages_text(page) -> str:
    """The flash messages shown on the page (empty when there are none)."""
    box = page.locator(".messages, .message")
    return " ".join(box.all_inner_texts())


def courseware_pdf(title: str) -> bytes:
    """A small but real one-page PDF in Chinese, drawn with reportlab's built-in CJK font."""
    from reportlab.lib.pagesizes import A4, landscape
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.cidfonts import UnicodeCIDFont
    from reportlab.pdfgen import canvas

    pdfmetrics.registerFont(UnicodeCIDFont("STSong-Light"))
    buffer = io.BytesIO()
    pdf = canvas.Canvas(buffer, pagesize=landscape(A4))
    pdf.setTitle(title)
    pdf.setFont("STSong-Light", 32)
    pdf.drawString(72, 480, title)
    pdf.setFont("STSong-Light", 20)
    for n, line in enumerate(["教学目标：有感情地朗读课文", "重点：体会父爱的深沉", "作业：写一段描写亲人的文字"]):
        pdf.drawString(72, 400 - n * 40, line)
    pdf.showPage()
    pdf.save()
    return buffer.getvalue()


def pdf_text(data: bytes) -> str:
    from pypdf import PdfReader

    return "\n".join(page.extract_text() or "" for page in PdfReader(io.BytesIO(data)).pages)


def qr_codes_in_pdf(data: bytes) -> list[str]:
    """Decode every QR code drawn as an image in the PDF (zxing-cpp, a real decoder)."""
    import zxingcpp
    from pypdf import PdfReader

    found = []
    for page in PdfReader(io.BytesIO(data)).pages:
        for image in page.images:
            found += [code.text for code in zxingcpp.read_barcodes(image.image)]
    return found


def study_the_lesson(page) -> None:
    """Stay on a module page, active, until its study clock says the lesson is done (the page's heartbeats).

    The step list is refreshed in place: no reload.
    """
    page.locator("#study-clock").wait_for()
    deadline = time.monotonic() + CLUSTER_DEADLINE_S
    while page.locator("#study-clock[data-done='1']").count() == 0:
        assert time.monotonic() < deadline, page.locator("#study-clock").inner_text()
        page.mouse.move(10, 10 + int(time.monotonic() * 10) % 100)  # a reader: input keeps the clock running
        page.wait_for_timeout(300)
    lesson_step = page.locator("ol.steps li", has_text="阅读本单元学习内容")
    assert "已完成" in lesson_step.inner_text()
