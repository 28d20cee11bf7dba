"""The shared request limit (shixun.config.ratelimit): parsing, counting, atomicity, the 429 it answers."""

import json

import pytest
from django.contrib.auth.models import AnonymousUser
from django.core.cache import cache
from django.http import HttpResponse
from django.test import RequestFactory
from django.utils import translation

from shixun.config.ratelimit import Rate, hit, parse_rate, rate_limited
from tests.platform_checks.bursts import allowed_in_a_burst


@pytest.fixture
def limits_on(settings):
    settings.SHIXUN_RATE_LIMITS_ENABLED = True
    cache.clear()
    yield settings
    cache.clear()


@pytest.mark.parametrize(
    "text,rate", [("120/m", Rate(120, 60)), ("3/h", Rate(3, 3600)), ("5/15m", Rate(5, 900)), (" 10 / 2s ", Rate(10, 2))]
)
def test_rates_are_read_from_their_settings_text(text, rate):
    assert parse_rate(text) == rate


@pytest.mark.parametrize("text", ["120", "0/m", "ten/m", "5/w", "/m"])
def test_a_malformed_rate_is_a_configuration_error(text):
    with pytest.raises(ValueError):
        parse_rate(text)


def test_the_limit_counts_per_key_and_says_how_long_to_wait(limits_on):
    limits_on.SHIXUN_RATE_LIMIT_QUIZ_SAVE = "3/m"
    assert [hit("SHIXUN_RATE_LIMIT_QUIZ_SAVE", "user:1") for _ in range(3)] == [None, None, None]
    retry_after = hit("SHIXUN_RATE_LIMIT_QUIZ_SAVE", "user:1")
    assert 1 <= retry_after <= 60
    assert hit("SHIXUN_RATE_LIMIT_QUIZ_SAVE", "user:2") is None  # another user has their own count
    assert hit("SHIXUN_RATE_LIMIT_XAPI", "user:1") is None  # another limit too


def test_no_limit_when_turned_off_or_empty(settings):
    settings.SHIXUN_RATE_LIMITS_ENABLED = False
    settings.SHIXUN_RATE_LIMIT_QUIZ_SAVE = "1/m"
    assert [hit("SHIXUN_RATE_LIMIT_QUIZ_SAVE", "k") for _ in range(5)] == [None] * 5
    settings.SHIXUN_RATE_LIMITS_ENABLED = True
    settings.SHIXUN_RATE_LIMIT_QUIZ_SAVE = ""
    assert [hit("SHIXUN_RATE_LIMIT_QUIZ_SAVE", "k") for _ in range(5)] == [None] * 5


def test_concurrent_requests_never_slip_past_the_limit(limits_on):
    limits_on.SHIXUN_RATE_LIMIT_XAPI = "100/h"
    assert allowed_in_a_burst("SHIXUN_RATE_LIMIT_XAPI", "user:7") == 100


@pytest.mark.django_db
@translation.override("zh-hans")  # the answers read in Chinese, whatever language a test before left active
def test_the_decorator_answers_429_with_retry_after_in_json_and_as_a_page(limits_on, rf: RequestFactory):
    limits_on.SHIXUN_RATE_LIMIT_HEARTBEAT = "1/m"

    @rate_limited("SHIXUN_RATE_LIMIT_HEARTBEAT")
    def view(request):
        return HttpResponse("ok")

    assert view(rf.post("/", REMOTE_ADDR="192.0.2.1")).status_code == 200
    refused = view(rf.post("/", content_type="application/json", REMOTE_ADDR="192.0.2.1"))
    assert refused.status_code == 429 and 1 <= int(refused["Retry-After"]) <= 60
    body = json.loads(refused.content)
    assert body["code"] == "rate_limited" and "请" in body["error"]
    browser = rf.post("/", HTTP_ACCEPT="text/html,*/*", REMOTE_ADDR="192.0.2.1")
    browser.user = AnonymousUser()
    page = view(browser)
    assert page.status_code == 429 and "请稍候" in page.content.decode() and page["Retry-After"]
    assert view(rf.post("/", REMOTE_ADDR="192.0.2.2")).status_code == 200  # anonymous: counted per address


def test_a_decorator_naming_an_unknown_setting_fails_at_once():
    with pytest.raises(AttributeError):
        rate_limited("SHIXUN_RATE_LIMIT_NO_SUCH_THING")


def test_the_client_address_trusts_x_forwarded_for_only_from_a_listed_proxy(settings, rf: RequestFactory):
    from shixun.config.ratelimit import client_address

    forged = rf.get("/", REMOTE_ADDR="198.51.100.4", HTTP_X_FORWARDED_FOR="10.9.9.9")
    assert client_address(forged) == "198.51.100.4"  # no proxy listed: the header is ignored
    settings.SHIXUN_TRUSTED_PROXIES = ["127.0.0.1", "10.0.0.0/8"]
    assert client_address(forged) == "198.51.100.4"  # not from a listed proxy
    proxied = rf.get("/", REMOTE_ADDR="127.0.0.1", HTTP_X_FORWARDED_FOR="1.2.3.4, 203.0.113.8, 10.1.1.1")
    assert client_address(proxied) == "203.0.113.8"  # the last hop the proxies did not add (1.2.3.4 is forgeable)
