"""Security headers on learner pages and on the H5P content origin; the content origin's signed links.

The site sends a strict CSP (no inline script), frame rules, nosniff, a
same-origin referrer policy and COOP. The content origin is the opposite on
purpose where H5P needs it (its libraries use inline script and eval) and
holds nothing worth stealing: no session, no cookie, every file behind a
signed, expiring, per-learner link, and only the learner's site may frame
its player.
"""

from __future__ import annotations

import pytest
from django.urls import reverse

from shixun.assessments.h5p.links import make_token

from .conftest import CONTENT_HOST, CONTENT_ORIGIN

pytestmark = pytest.mark.django_db


def csp(response) -> dict[str, list[str]]:
    directives = {}
    for part in response["Content-Security-Policy"].split(";"):
        words = part.split()
        if words:
            directives[words[0]] = words[1:]
    return directives


LEARNER_PAGES = [
    ("teacher", lambda w: reverse("courses:dashboard")),
    ("teacher", lambda w: w.module.url),
    ("teacher", lambda w: reverse("transcripts:mine")),
    ("teacher", lambda w: reverse("assignments:hand_in", args=[w.module.pk, w.assignment.pk])),
    ("teacher", lambda w: reverse("quizzes:overview", args=[w.module.pk, w.quiz.pk])),
    ("school_admin", lambda w: reverse("schools:school_dashboard", args=[w.school.code])),
    ("anonymous", lambda w: reverse("accounts:login")),
    ("anonymous", lambda w: reverse("transcripts:verify", args=[w.certificate.code])),
]


@pytest.mark.parametrize(("role", "url"), LEARNER_PAGES, ids=[f"{r}:{i}" for i, (r, _u) in enumerate(LEARNER_PAGES)])
def test_site_pages_send_the_security_headers(client, world, role, url):
    if role != "anonymous":
        client.force_login(world.role(role))
    response = client.get(url(world))
    assert response.status_code == 200

    policy = csp(response)
    assert policy["default-src"] == ["'self'"]
    assert policy["script-src"] == ["'self'"]  # no inline script, no eval, no other origin
    assert policy["object-src"] == ["'none'"]
    assert policy["base-uri"] == ["'self'"]
    assert policy["form-action"] == ["'self'"]
    assert policy["frame-ancestors"] == ["'self'"]
    assert response["X-Frame-Options"] in ("SAMEORIGIN", "DENY")
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Referrer-Policy"] in ("same-origin", "no-referrer")
    assert response["Cross-Origin-Opener-Policy"] == "same-origin"
    assert "camera=()" in response["Permissions-Policy"]


def test_the_module_page_may_frame_the_content_origin_and_nothing_else(client, world):
    client.force_login(world.teacher)
    response = client.get(world.module.url)
    frame_src = csp(response)["frame-src"]
    assert CONTENT_ORIGIN in frame_src
    assert "*" not in frame_src and "https:" not in frame_src and "http:" not in frame_src
    assert f'src="{CONTENT_ORIGIN}/h5p/play/' in response.content.decode()


@pytest.mark.parametrize("role", ["trainer", "reviewer", "superuser", "sibling_teacher"])
def test_only_the_enrolled_learner_gets_their_own_player_link(client, world, role):
    """Staff see the module without a player link; another learner's page carries their own token, not the teacher's."""
    from shixun.assessments.h5p.links import read_token

    client.force_login(world.role(role))
    content = client.get(world.module.url).content.decode()
    marker = f'{CONTENT_ORIGIN}/h5p/play/'
    if role != "sibling_teacher":
        assert marker not in content
        return
    token = content.split(marker, 1)[1].split("/", 1)[0]
    assert read_token(token).user_id == world.sibling_teacher.pk


def test_downloads_of_uploaded_files_are_attachments_never_sniffed(client, world):
    client.force_login(world.teacher)
    for url in (reverse("assignments:download", args=[world.version.pk]),
                reverse("schools:external_certificate", args=[world.external.pk])):
        response = client.get(url)
        assert response.status_code == 200
        assert response["Content-Disposition"].startswith("attachment")
        assert response["X-Content-Type-Options"] == "nosniff"
        assert response["Content-Type"] == "application/pdf"


# --- The content origin -----------------------------------------------------------------------------


def token_for(world, user=None, content=None):
    return make_token(user=user or world.teacher, activity=world.h5p_activity, module=world.module,
                      content=content or world.h5p_content, site_origin="http://testserver")


def content_get(client, path):
    return client.get(path, HTTP_HOST=CONTENT_HOST)


def test_the_player_page_may_run_h5p_only_inside_the_learners_site(client, world):
    client.force_login(world.teacher)  # a session cookie the browser holds for the site, not for this origin
    response = content_get(client, f"/h5p/play/{token_for(world)}/")
    assert response.status_code == 200
    policy = csp(response)
    assert "'self'" in policy["script-src"]  # the player's own files …
    assert not [s for s in policy["script-src"] if s.startswith(("http", "*", "data:", "blob:"))]  # … and no others
    assert policy["frame-ancestors"] == ["http://testserver"]  # only the site that asked may frame it
    assert policy["object-src"] == ["'none'"]
    assert policy["form-action"] == ["'none'"]
    assert "X-Frame-Options" not in response  # it must be framed, by the site's origin only (CSP above)
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Referrer-Policy"] == "no-referrer"
    assert response["Cache-Control"] == "no-store"
    assert "Set-Cookie" not in response and not response.cookies


def test_the_sites_cookies_are_host_only_so_the_content_sub_domain_never_gets_them(client, world, settings):
    """The content host is a sub-domain of the site's (same-site, for storage): only cookies
    without a Domain attribute stay with the host that set them."""
    from http.cookies import SimpleCookie

    from tests.factories import PASSWORD

    response = client.post("/accounts/login/", {"username": world.teacher.username, "password": PASSWORD})
    assert response.status_code == 302
    session = response.cookies[settings.SESSION_COOKIE_NAME]
    csrf = response.cookies[settings.CSRF_COOKIE_NAME]
    assert session.value and csrf.value
    assert session["domain"] == "" and csrf["domain"] == ""
    assert "domain=" not in SimpleCookie.output(response.cookies).lower()
    # Sent back by the browser to the site only; the content host, asked with them anyway, sets none.
    assert CONTENT_HOST.endswith("." + "testserver")
    response = content_get(client, f"/h5p/play/{token_for(world)}/")
    assert response.status_code == 200 and not response.cookies


def test_package_files_cannot_run_when_opened_directly(client, world):
    for path in ("content/content.json", "content/images/badge.svg"):
        response = content_get(client, f"/h5p/play/{token_for(world)}/{path}")
        assert response.status_code == 200, path
        policy = csp(response)
        assert "sandbox" in policy and policy["default-src"] == ["'none'"], path
        assert response["X-Content-Type-Options"] == "nosniff"
    asset = content_get(client, "/h5p/player/main.bundle.js")
    assert asset.status_code == 200 and asset["X-Content-Type-Options"] == "nosniff"


@pytest.mark.parametrize(
    "tamper",
    [
        lambda t: t[:-2] + ("AA" if not t.endswith("AA") else "BB"),  # a changed signature
        lambda t: t.replace(":", "x", 1),  # a changed payload
        lambda t: "",
        lambda t: "../../../etc/passwd",
    ],
    ids=["signature", "payload", "empty", "traversal"],
)
def test_an_altered_link_opens_nothing(client, world, tamper):
    token = tamper(token_for(world))
    for suffix in ("", "h5p.json", "content/content.json"):
        response = content_get(client, f"/h5p/play/{token}/{suffix}")
        assert response.status_code in (403, 404), (suffix, response.status_code)
        assert b"ShixunQuickCheck" not in response.content


def test_an_expired_link_opens_nothing(client, world, settings):
    token = token_for(world)
    settings.SHIXUN_H5P_LINK_MAX_AGE = -1
    response = content_get(client, f"/h5p/play/{token}/")
    assert response.status_code == 403


def test_a_link_made_for_someone_not_enrolled_opens_no_player(client, world):
    response = content_get(client, f"/h5p/play/{token_for(world, user=world.district_admin)}/")
    assert response.status_code == 403


@pytest.mark.parametrize(
    "path",
    ["content/../h5p.json", "content/%2e%2e/%2e%2e/%2e%2e/etc/passwd", "content//etc/passwd",
     "libraries/H5P.ShixunQuickCheck-1.0/../../../../../etc/passwd", "libraries/FontAwesome-4.5/x.css"],
)
def test_paths_outside_the_package_are_not_served(client, world, path):
    response = content_get(client, f"/h5p/play/{token_for(world)}/{path}")
    assert response.status_code == 404
    assert b"root:" not in response.content


def test_the_site_host_does_not_serve_content_and_the_content_host_serves_no_site_page(client, world, settings):
    client.force_login(world.teacher)
    assert client.get(f"/h5p/play/{token_for(world)}/").status_code == 404
    for path in (reverse("courses:dashboard"), reverse("transcripts:mine"), "/admin/", "/django-admin/",
                 world.module.url, reverse("h5p:xapi"), "/static/themes/shixun.css"):
        response = content_get(client, path)
        assert response.status_code == 404, path
        assert "Set-Cookie" not in response
    # The content host's front page sends a lost visitor to the site: a fixed target, not an open redirect.
    for path in ("/", "/?next=https://evil.example/"):
        front = content_get(client, path)
        assert front.status_code == 302
        assert front["Location"] == settings.WAGTAILADMIN_BASE_URL.rstrip("/") + "/"
        assert "Set-Cookie" not in front
