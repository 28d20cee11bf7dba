"""The header's URLs are reversed once per process (shixun.config.reversing) and the page stays the same.

Every page shows the header: its dozen links were reversed on every request.
They are now kept per URLconf, language and script prefix; these tests prove
the header a role sees is byte for byte what Django's own reverse() gives
(a cold cache reverses every name anew, a warm one reads them), that the
links are the ones Django's {% url %} tag gives, and that a host site's
prefixes (its URLconf mounting Shixun under a path, its SCRIPT_NAME) are
honoured whatever was cached before.
"""

import re

import pytest
from django.template import engines
from django.urls import clear_url_caches, reverse, set_script_prefix

from shixun.config import reversing
from shixun.themes.templatetags.shixun_header import forget_headers

pytestmark = pytest.mark.django_db

ROLES = ("teacher", "school_admin", "district_admin", "trainer", "reviewer", "superuser")


def header(client, path, **extra) -> str:
    response = client.get(path, **extra)
    assert response.status_code == 200
    html = response.content.decode()
    # The CSRF token is masked anew for every response (BREACH): the one part that must differ.
    html = re.sub(r'name="csrfmiddlewaretoken" value="[^"]+"', 'name="csrfmiddlewaretoken" value=""', html)
    return html[html.index("<header"): html.index("</header>")]


def uncached_header(client, path, **extra) -> str:
    reversing._answers.clear()  # every URL of this request reversed by Django anew
    forget_headers()  # and the header rendered anew, not read from the kept pieces
    return header(client, path, **extra)


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_each_roles_header_is_what_djangos_reverse_gives(org, client, role, language):
    client.force_login(getattr(org, role))
    page = reverse("accounts:profile")
    cold = uncached_header(client, page, HTTP_ACCEPT_LANGUAGE=language)
    warm = header(client, page, HTTP_ACCEPT_LANGUAGE=language)
    assert warm == cold
    # The theme's own links, as the {% url %} tags the theme used to have render them.
    tags = engines["django"].from_string(
        "{% url 'home' as home_url %}{{ home_url|default:'/' }} {% url 'set_language' %} {% url 'accounts:logout' %}"
    )
    home, set_language, logout = tags.render({}).split(" ")
    assert f'class="brand" href="{home}"' in warm
    assert f'class="lang-switch" action="{set_language}"' in warm
    assert f'<form action="{logout}" method="post" class="inline">' in warm
    links = re.findall(r'<li><a href="([^"]+)"', warm)
    assert reverse("transcripts:mine") in links and reverse("accounts:profile") in links
    if role == "school_admin":
        assert reverse("schools:school_dashboard", args=[org.school.code]) in links
    if role == "district_admin":
        assert reverse("schools:district_dashboard", args=[org.district.code]) in links
    # Both languages of the switch, named in themselves.
    assert 'value="zh-hans" lang="zh-hans"' in warm and 'value="en" lang="en"' in warm


def test_a_script_prefix_is_honoured_after_the_unprefixed_urls_were_cached(org, client):
    client.force_login(org.school_admin)
    page = reverse("accounts:profile")
    plain = header(client, page)
    try:
        set_script_prefix("/host/")  # what the WSGI handler does for SCRIPT_NAME (the test client does not)
        prefixed = header(client, page, SCRIPT_NAME="/host")
    finally:
        set_script_prefix("/")
    links = re.findall(r'href="([^"#]+)"|action="([^"]+)"', prefixed)
    urls = [a or b for a, b in links]
    assert urls and all(url.startswith("/host/") for url in urls), urls
    assert prefixed == plain.replace('href="/', 'href="/host/').replace('action="/', 'action="/host/').replace(
        'value="/', 'value="/host/'
    )
    assert header(client, page) == plain  # and back: the unprefixed answers were not overwritten


def test_a_host_sites_urlconf_prefix_is_honoured(org, client, settings):
    client.force_login(org.teacher)
    plain = header(client, reverse("accounts:profile"))
    assert 'href="/transcript/"' in plain
    settings.ROOT_URLCONF = "tests.courses.prefixed_urls"  # Shixun's URLs under /training/
    clear_url_caches()
    try:
        page = reverse("accounts:profile")
        assert page.startswith("/training/")
        hosted = header(client, page)
        assert 'href="/training/transcript/"' in hosted
        assert f'<form action="{reverse("accounts:logout")}"' in hosted
        assert 'href="/transcript/"' not in hosted
    finally:
        clear_url_caches()


def test_a_name_that_does_not_reverse_keeps_failing():
    from django.urls import NoReverseMatch

    for _ in range(2):  # the first answer from Django, the second from the cache
        with pytest.raises(NoReverseMatch):
            reversing.reverse_once("no-such-name")
    assert reversing.reverse_once("schools:school_dashboard", ("s-one",)) == reverse(
        "schools:school_dashboard", args=["s-one"]
    )
