"""Each demo role logs in through a real browser and lands on a page that fits its role."""

import pytest

from .conftest import PHONE, log_in

pytestmark = pytest.mark.e2e


@pytest.fixture
def page(browser):
    context = browser.new_context(viewport=PHONE, locale="zh-CN")
    page = context.new_page()
    yield page
    context.close()


def test_home_page_is_chinese_and_fits_a_phone(site, page, screenshot):
    page.goto(site.url + "/")
    assert page.locator("html").get_attribute("lang") == "zh-Hans"
    assert page.get_by_role("link", name="登录").first.is_visible()
    # Nothing wider than the phone screen: no sideways scrolling.
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    screenshot(page, "home")


@pytest.mark.parametrize(
    "username,landing_path,expected_text",
    [
        ("t0001", "/learn/", "我的学习"),
        ("gz-shiyan.admin", "/", "甘州区实验小学"),
        ("district.admin", "/", "甘州区"),
        ("trainer1", "/admin/", None),
    ],
)
def test_each_role_lands_on_its_page(site, page, screenshot, username, landing_path, expected_text):
    log_in(page, site, username)
    assert "/accounts/login/" not in page.url, page.content()[:500]
    assert page.url.startswith(site.url + landing_path)
    if expected_text:
        assert expected_text in page.content()
    screenshot(page, "landing")


def test_teacher_cannot_open_the_wagtail_admin(site, page):
    log_in(page, site, "t0002")
    page.goto(site.url + "/admin/")
    assert "/admin/login/" in page.url or "/accounts/login/" in page.url


def test_language_switcher(site, page):
    page.goto(site.url + "/")
    page.get_by_role("button", name="English").click()
    page.wait_for_load_state()
    assert page.locator("html").get_attribute("lang") == "en"
    assert page.get_by_role("link", name="Log in").first.is_visible()
