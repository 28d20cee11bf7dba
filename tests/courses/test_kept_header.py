"""The header every page shows is kept per process (themes/templatetags/shixun_header.py) and stays the same.

Each response's header must be byte for byte what rendering the header template for that request gives
(the CSRF token aside, masked anew for every response), whether the kept pieces were made by this request,
by an earlier one of the same person or by someone else's: the navigation by role, the current page's link,
the language, the page's own path in the language switch (escaped) and the token are each this request's.
"""

import re

import pytest
from django.template import engines
from django.test import Client
from django.urls import reverse

from shixun.courses import enrolment as services
from shixun.themes.templatetags.shixun_header import forget_headers

pytestmark = pytest.mark.django_db

ORACLE = engines["django"].from_string(
    '{% load i18n %}{% get_current_language as LANGUAGE_CODE %}{% with branding=shixun_branding %}'
    '{% include "shixun/includes/header.html" %}{% endwith %}'
)
TOKEN = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')


@pytest.fixture(autouse=True)
def no_kept_headers():
    forget_headers()
    yield
    forget_headers()


def _header(html: str) -> str:
    return html[html.index("<header"): html.index("</header>") + len("</header>")]


def _served_and_expected(client, path, **extra):
    response = client.get(path, **extra)
    assert response.status_code == 200, (path, response.status_code)
    served = _header(response.content.decode())
    expected = ORACLE.render(request=response.wsgi_request).strip()
    tokens = TOKEN.findall(served)
    assert len(tokens) == (2 if response.wsgi_request.user.is_authenticated else 1)
    assert len(set(tokens)) == 1  # both forms carry this response's token
    return TOKEN.sub('name="csrfmiddlewaretoken" value=""', served), TOKEN.sub(
        'name="csrfmiddlewaretoken" value=""', expected)


@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_every_roles_header_is_the_templates_whether_kept_or_not(org, course, language):
    services.enrol_self(org.teacher, course)
    module = course.live_modules().first()
    pages = [course.url, module.url, reverse("transcripts:mine"), reverse("accounts:profile")]
    for role in ("teacher", "school_admin", "district_admin", "trainer", "superuser"):
        client = Client(HTTP_ACCEPT_LANGUAGE=language)
        client.force_login(getattr(org, role))
        for page in pages:
            if page == module.url and role != "teacher":
                continue  # the module page is the enrolled learner's
            for _ in range(2):  # made by this request, then read from the kept pieces
                served, expected = _served_and_expected(client, page)
                assert served == expected, (role, page)


def test_the_current_page_and_the_path_are_this_requests(org):
    client = Client()
    client.force_login(org.teacher)
    transcript = reverse("transcripts:mine")
    served, expected = _served_and_expected(client, transcript)
    assert served == expected
    assert f'<a href="{transcript}" aria-current="page">' in served
    served, expected = _served_and_expected(client, reverse("accounts:profile") + '?x="<b>&y=1')
    assert served == expected
    profile = reverse("accounts:profile")
    assert f'<input name="next" type="hidden" value="{profile}?x=%22%3Cb%3E&amp;y=1">' in served  # escaped here
    served, _ = _served_and_expected(client, profile + "?x=2")  # the kept pieces, another path
    assert f'<input name="next" type="hidden" value="{profile}?x=2">' in served
    assert f'<a href="{transcript}" aria-current="page">' not in served


def test_one_persons_header_is_never_anothers(org):
    teacher, admin = Client(), Client()
    teacher.force_login(org.teacher)
    admin.force_login(org.school_admin)
    page = reverse("accounts:profile")
    first, _ = _served_and_expected(admin, page)
    served, expected = _served_and_expected(teacher, page)
    assert served == expected and served != first
    assert reverse("schools:school_dashboard", args=[org.school.code]) in first
    assert reverse("schools:school_dashboard", args=[org.school.code]) not in served


def test_a_visitor_signed_out_gets_the_header_without_navigation(course):
    client = Client()
    served, expected = _served_and_expected(client, course.url)
    assert served == expected
    assert "main-nav" not in served
