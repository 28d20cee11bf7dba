"""The content origin: signed per-learner links, isolation from the site, no session."""

from __future__ import annotations

import pytest
from django.core import signing

from shixun.assessments.h5p import links
from shixun.assessments.h5p.links import LinkExpired, LinkInvalid, make_token, read_token
from shixun.courses.models import Enrolment

from . import packages as P
from .conftest import CONTENT_HOST, build_module, import_test_package

pytestmark = pytest.mark.django_db

LIBRARY = f"{P.LIBRARY_FOLDER}"


def token_for(world, *, user=None, content=None):
    return make_token(
        user=user or world.learner, activity=world.activity, module=world.module,
        content=content or world.content, site_origin="http://testserver",
    )


def content_get(client, path: str):
    return client.get(path, HTTP_HOST=CONTENT_HOST)


def body(response) -> bytes:
    return b"".join(response.streaming_content) if response.streaming else response.content


def test_the_content_host_serves_the_player_page_and_package_files(client, world):
    token = token_for(world)

    page = content_get(client, f"/h5p/play/{token}/")
    assert page.status_code == 200
    assert b"main.bundle.js" in page.content and b'id="h5p-container"' in page.content
    assert "frame-ancestors http://testserver" in page["Content-Security-Policy"]
    assert page["Cache-Control"] == "no-store"

    h5p_json = content_get(client, f"/h5p/play/{token}/h5p.json")
    assert h5p_json.status_code == 200 and b"H5P.ShixunQuickCheck" in body(h5p_json)
    assert content_get(client, f"/h5p/play/{token}/content/content.json").status_code == 200
    script = content_get(client, f"/h5p/play/{token}/libraries/{LIBRARY}/quickcheck.js")
    assert script.status_code == 200 and "javascript" in script["Content-Type"]
    assert b"ShixunQuickCheck" in body(script)
    svg = content_get(client, f"/h5p/play/{token}/content/images/badge.svg")
    assert svg["Content-Type"] == "image/svg+xml"
    assert "sandbox" in svg["Content-Security-Policy"] and "default-src 'none'" in svg["Content-Security-Policy"]
    player = content_get(client, "/h5p/player/main.bundle.js")
    assert player.status_code == 200 and player["Cache-Control"].startswith("public")


def test_content_host_responses_never_carry_a_session_or_any_cookie(client, world):
    client.force_login(world.learner)  # a session cookie the browser would send if the hosts were the same
    token = token_for(world)
    for path in (f"/h5p/play/{token}/", f"/h5p/play/{token}/h5p.json", "/h5p/player/main.bundle.js", "/admin/"):
        response = content_get(client, path)
        assert "Set-Cookie" not in response.headers, path
        assert not response.cookies, path
        assert "Vary" not in response.headers or "Cookie" not in response["Vary"], path


@pytest.mark.parametrize(
    "path",
    ["/admin/", "/accounts/login/", "/h5p/xapi/", "/h5p/results/", "/static/themes/shixun.css", "/django-admin/"],
)
def test_the_content_host_serves_nothing_of_the_site(client, world, path):
    client.force_login(world.learner)
    response = content_get(client, path)
    assert response.status_code in (404, 405)
    assert b"<form" not in response.content


def test_the_content_hosts_front_page_sends_people_to_the_site(client, world, settings):
    client.force_login(world.learner)
    response = content_get(client, "/")
    assert response.status_code == 302
    assert response["Location"] == settings.WAGTAILADMIN_BASE_URL.rstrip("/") + "/"
    assert "Set-Cookie" not in response.headers


def test_the_player_pages_own_files_are_named_by_their_content(client, world, tmp_path, monkeypatch):
    """Shixun's player.js and player.css are cached for a day: their URLs carry a hash of the files, so a release
    that changes them is fetched at once and never runs beside another release's host.js."""
    from shixun.assessments.h5p import content_views

    page = content_get(client, f"/h5p/play/{token_for(world)}/").content.decode()
    version = content_views.player_version()
    assert f"/h5p/player/shixun/player.js?v={version}" in page
    assert f"/h5p/player/shixun/player.css?v={version}" in page
    served = content_get(client, f"/h5p/player/shixun/player.js?v={version}")
    assert served.status_code == 200 and b"shixun-h5p:input" in body(served)

    for name in ("player.js", "player.css"):
        (tmp_path / name).write_bytes((content_views.PLAYER_ASSETS / name).read_bytes())
    (tmp_path / "player.js").write_bytes(b"/* the next release */" + (tmp_path / "player.js").read_bytes())
    monkeypatch.setattr(content_views, "PLAYER_ASSETS", tmp_path)
    content_views.player_version.cache_clear()
    try:
        assert content_views.player_version() != version
    finally:
        content_views.player_version.cache_clear()


def test_the_content_host_refuses_writes(client, world):
    response = client.post(f"/h5p/play/{token_for(world)}/", HTTP_HOST=CONTENT_HOST)
    assert response.status_code == 405


def test_the_site_host_does_not_serve_content(client, world):
    client.force_login(world.learner)
    token = token_for(world)
    for path in (f"/h5p/play/{token}/", f"/h5p/play/{token}/h5p.json", "/h5p/player/main.bundle.js"):
        assert client.get(path).status_code == 404, path


def test_a_link_stops_working_when_it_expires(client, world, settings, monkeypatch):
    token = token_for(world)
    settings.SHIXUN_H5P_LINK_MAX_AGE = 60
    assert content_get(client, f"/h5p/play/{token}/h5p.json").status_code == 200

    real_time = signing.time.time
    monkeypatch.setattr(signing.time, "time", lambda: real_time() + 61)
    with pytest.raises(LinkExpired):
        read_token(token)
    for path in (f"/h5p/play/{token}/", f"/h5p/play/{token}/h5p.json", f"/h5p/play/{token}/content/content.json"):
        response = content_get(client, path)
        assert response.status_code == 403, path
        assert "Set-Cookie" not in response.headers


def test_a_tampered_or_made_up_link_is_refused(client, world):
    token = token_for(world)
    payload, timestamp, signature = token.rsplit(":", 2)
    tampered = f"{payload}:{timestamp}:{'A' * len(signature)}"
    with pytest.raises(LinkInvalid):
        read_token(tampered)
    assert content_get(client, f"/h5p/play/{tampered}/h5p.json").status_code == 403
    assert content_get(client, "/h5p/play/guess/h5p.json").status_code == 403


def test_links_are_per_learner_and_per_package(world, org):
    Enrolment.objects.create(user=org.sibling_teacher, course=world.course)
    mine = token_for(world)
    theirs = token_for(world, user=org.sibling_teacher)
    assert mine != theirs
    assert read_token(mine).user_id == world.learner.pk
    assert read_token(theirs).user_id == org.sibling_teacher.pk


def test_a_link_to_one_package_opens_nothing_else(client, world):
    other = import_test_package(title="另一个")
    token = token_for(world)
    # A link names one package version of one activity: another content id in the URL is not reachable,
    # and a link whose content belongs to another activity is refused.
    forged = make_token(user=world.learner, activity=world.activity, module=world.module, content=other,
                        site_origin="http://testserver")
    assert content_get(client, f"/h5p/play/{forged}/h5p.json").status_code == 404
    # Library files outside the content's own libraries are not served.
    assert content_get(client, f"/h5p/play/{token}/libraries/H5P.Other-1.0/library.json").status_code == 404
    assert content_get(client, f"/h5p/play/{token}/libraries/{LIBRARY}/../../h5p.json").status_code == 404
    assert content_get(client, f"/h5p/play/{token}/content/../h5p.json").status_code == 404


def test_the_player_page_refuses_a_learner_who_left_the_course(client, world):
    token = token_for(world)
    Enrolment.objects.filter(user=world.learner).update(status=Enrolment.Status.WITHDRAWN)
    assert content_get(client, f"/h5p/play/{token}/").status_code == 403


def test_the_module_block_hands_a_link_only_to_enrolled_learners(rf, world, org):
    from django.contrib.sessions.backends.db import SessionStore
    from django.template import engines

    template = engines["django"].from_string(
        "{% load wagtailcore_tags %}{% for block in page.body %}{% include_block block %}{% endfor %}"
    )

    def render(user):
        request = rf.get("/")
        request.user = user
        request.session = SessionStore()
        return template.render({"page": world.module, "activity_statuses": {}}, request)

    enrolled = render(world.learner)
    assert 'sandbox="allow-scripts allow-same-origin"' in enrolled
    assert f'src="{links.content_origin()}/h5p/play/' in enrolled
    assert "h5p/host.js" in enrolled

    stranger = render(org.sibling_teacher)
    assert "<iframe" not in stranger and "/h5p/play/" not in stranger


def test_the_module_block_shows_no_player_for_an_activity_without_package(rf, org, h5p_root):
    from django.contrib.auth.models import AnonymousUser
    from django.template import engines

    from shixun.assessments.h5p.models import H5PActivity

    empty = H5PActivity.objects.create(title="空")
    _, module = build_module(empty, slug="empty")
    request = rf.get("/")
    request.user = AnonymousUser()
    html = engines["django"].from_string(
        "{% load wagtailcore_tags %}{% for block in page.body %}{% include_block block %}{% endfor %}"
    ).render({"page": module}, request)
    assert "<iframe" not in html and "空" in html


def test_the_module_blocks_link_names_the_current_package_without_reading_it(rf, world, org):
    """The player's link carries the current package's id, read from the activity row (no read of the package:
    issue 18); after a new version replaces it, the next view's link names the new one, and it opens."""
    import re

    from django.contrib.sessions.backends.db import SessionStore
    from django.db import connection
    from django.template import engines
    from django.test.utils import CaptureQueriesContext

    from shixun.assessments.h5p.models import H5PContent
    from shixun.courses.models import ModulePage

    template = engines["django"].from_string(
        "{% load wagtailcore_tags %}{% for block in page.body %}{% include_block block %}{% endfor %}"
    )

    def link_on_the_page():
        request = rf.get("/")
        request.user = world.learner
        request.session = SessionStore()
        page = ModulePage.objects.get(pk=world.module.pk)  # a fresh read, as each page view makes
        list(page.body)  # the stream's own reads (the placed activity) are not the player's
        with CaptureQueriesContext(connection) as queries:
            html = template.render({"page": page, "activity_statuses": {}}, request)
        assert not any(H5PContent._meta.db_table in q["sql"] for q in queries.captured_queries)
        return read_token(re.search(r'data-token="([^"]+)"', html).group(1))

    assert link_on_the_page().content_id == world.content.pk
    newer = import_test_package(activity=world.activity)
    grant = link_on_the_page()
    assert grant.content_id == newer.pk != world.content.pk
    assert (grant.user_id, grant.activity_id, grant.module_id) == (world.learner.pk, world.activity.pk, world.module.pk)
