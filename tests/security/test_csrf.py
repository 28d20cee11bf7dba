"""CSRF on every state-changing endpoint.

Rather than trusting a hand-kept list of POST views, every URL of Shixun's
apps is posted to, without a CSRF token, by a user allowed to use it, with a
client that enforces CSRF checks as a browser's requests are checked. Each
must be refused by the CSRF check itself (a failure view of this test's own
makes that unmistakable) and leave every Shixun table and the private
storage as they were. The only exception is the one-click unsubscribe link,
whose signed token is the credential (mail clients' one-click POST carries
no CSRF token; RFC 8058): test_public_pages.py covers it.
"""

from __future__ import annotations

import pytest
from django.http import HttpResponseForbidden
from django.middleware.csrf import REASON_CSRF_TOKEN_MISSING, _get_new_csrf_string
from django.test import Client
from django.urls import reverse

from .conftest import CONTENT_HOST, private_files
from .matrix import ANON, ROWS, TEACHER
from .state import changes, database_state
from .urls import PUBLIC_OR_SELF, shixun_url_names

pytestmark = pytest.mark.django_db

CSRF_REFUSED = b"refused by the CSRF check"
CSRF_EXEMPT_BY_DESIGN = {"schools:unsubscribe"}


def csrf_failure(request, reason=""):
    return HttpResponseForbidden(CSRF_REFUSED + b": " + reason.encode())


# URL names outside the matrix: how to reach them, and who posts.
PUBLIC_TARGETS = {
    "home": (lambda w: reverse("home"), ANON),
    "set_language": (lambda w: reverse("set_language"), TEACHER),
    "accounts:home": (lambda w: reverse("accounts:home"), TEACHER),
    "accounts:login": (lambda w: reverse("accounts:login"), ANON),
    "accounts:logout": (lambda w: reverse("accounts:logout"), TEACHER),
    "accounts:password_change": (lambda w: reverse("accounts:password_change"), TEACHER),
    "accounts:password_reset": (lambda w: reverse("accounts:password_reset"), ANON),
    "accounts:password_reset_done": (lambda w: reverse("accounts:password_reset_done"), ANON),
    "accounts:password_reset_confirm": (
        lambda w: reverse("accounts:password_reset_confirm", args=["MQ", "set-password"]), ANON,
    ),
    "accounts:password_reset_complete": (lambda w: reverse("accounts:password_reset_complete"), ANON),
    "transcripts:verify": (lambda w: reverse("transcripts:verify", args=[w.certificate.code]), ANON),
    "transcripts:verify_file": (lambda w: reverse("transcripts:verify_file", args=[w.extra["training_file"].code]),
                                ANON),
    "healthz": (lambda w: reverse("healthz"), ANON),
    "readyz": (lambda w: reverse("readyz"), ANON),
    "metrics": (lambda w: reverse("metrics"), ANON),
}

# Form data an allowed user would send, so only the missing token stands between the request and a change.
FORM_DATA = {
    "set_language": lambda w: {"language": "en", "next": "/"},
    "accounts:login": lambda w: {"username": w.teacher.username, "password": "correct horse battery"},
    "accounts:password_change": lambda w: {
        "old_password": "correct horse battery",
        "new_password1": "Xuexi-2026-anquan",
        "new_password2": "Xuexi-2026-anquan",
    },
    "accounts:password_reset": lambda w: {"email": w.teacher.email},
    "accounts:profile": lambda w: {"phone": "13800000000", "email": "changed@example.com"},
    "transcripts:rule_add": lambda w: {"name": "新规则", "period_kind": "calendar_year", "minimum_hours": "80",
                                       "minimums-TOTAL_FORMS": "0", "minimums-INITIAL_FORMS": "0"},
    "schools:my_external_training": lambda w: {
        "title": "培训", "organiser": "教育局", "level": "district", "start_date": "2026-01-05",
        "end_date": "2026-01-06", "hours": "8",
    },
    "schools:group_credit": lambda w: {
        "title": "跟岗研修", "organiser": "教育局", "level": "district", "start_date": "2026-01-05",
        "end_date": "2026-01-06", "hours": "60", "staff_numbers": w.teacher.shixun_profile.staff_number,
    },
    "schools:school_exports": lambda w: {"format": "csv", "start": "2026-01-01", "end": "2026-06-30"},
    "schools:district_exports": lambda w: {"format": "csv", "start": "2026-01-01", "end": "2026-06-30"},
}


def _targets():
    """(url name, url builder, role, data builder, content type) for every Shixun URL."""
    by_name = {}
    for row in ROWS:
        for name in (row.name, *row.covers):
            if ":" not in name or " " in name:
                continue
            current = by_name.get(name)
            # Prefer the POST spelling of a URL: its data is what the view expects.
            if current is None or (row.method == "POST" and current.method != "POST"):
                by_name[name] = row
    for name in sorted(shixun_url_names()):
        if name in CSRF_EXEMPT_BY_DESIGN:
            continue
        if name in PUBLIC_TARGETS:
            url, role = PUBLIC_TARGETS[name]
            yield pytest.param(name, url, role, FORM_DATA.get(name), None, id=name)
            continue
        row = by_name.get(name)
        assert row is not None, f"{name} has no matrix row and no public target"
        role = next(r for r in ("teacher", "school_admin", "district_admin", "trainer", "superuser",
                                "foreign_district_admin", "other_trainer", "reviewer", "sibling_teacher")
                    if r in row.allowed)
        data = FORM_DATA.get(name) or row.data
        yield pytest.param(name, row.url, role, data, row.content_type, id=name)


def test_every_url_is_posted_to():
    covered = {p.values[0] for p in _targets()} | CSRF_EXEMPT_BY_DESIGN
    assert covered == shixun_url_names()
    assert CSRF_EXEMPT_BY_DESIGN <= set(PUBLIC_OR_SELF)


@pytest.mark.parametrize(("name", "url", "role", "data", "content_type"), list(_targets()))
def test_a_post_without_a_csrf_token_is_refused_and_changes_nothing(
    world, settings, name, url, role, data, content_type
):
    settings.CSRF_FAILURE_VIEW = "tests.security.test_csrf.csrf_failure"
    client = Client(enforce_csrf_checks=True)
    if role != ANON:
        client.force_login(world.role(role))
    # A valid CSRF cookie, as a browser would hold: only the token in the request is missing.
    client.cookies[settings.CSRF_COOKIE_NAME] = _get_new_csrf_string()
    before, files_before = database_state(), private_files()

    payload = data(world) if data else {}
    if content_type:
        response = client.post(url(world), data=payload, content_type=content_type)
    else:
        response = client.post(url(world), data=payload)

    assert response.status_code == 403, f"{name}: {response.status_code}"
    assert response.content == CSRF_REFUSED + b": " + REASON_CSRF_TOKEN_MISSING.encode()
    assert changes(before, database_state()) == {}
    assert private_files() == files_before


def test_the_same_post_with_its_token_gets_through(world, settings):
    """The control: the refusal above is the missing token, not the request."""
    from .matrix import xapi_body

    settings.CSRF_FAILURE_VIEW = "tests.security.test_csrf.csrf_failure"
    client = Client(enforce_csrf_checks=True)
    client.force_login(world.teacher)
    client.get(reverse("courses:dashboard"))
    token = client.cookies["csrftoken"].value
    response = client.post(reverse("h5p:xapi"), data=xapi_body(world), content_type="application/json",
                           HTTP_X_CSRFTOKEN=token)
    assert response.status_code == 200, response.content
    assert response.json()["stored"] is True


def test_the_content_origin_accepts_no_post_at_all(world, client):
    response = client.post("/h5p/player/main.bundle.js", HTTP_HOST=CONTENT_HOST)
    assert response.status_code == 405
