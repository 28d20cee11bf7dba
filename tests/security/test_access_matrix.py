"""Every role against every object-bearing URL, across two schools and two districts: no leak.

One test per (URL, role) cell of matrix.ROWS. A refused cell must answer
403, 404 or a redirect away from the object (anonymous: to the login page),
show none of the row's secret in whatever it returns, and, for a POST,
leave every Shixun table and the private storage exactly as they were. A
GET, allowed or not, never writes to a Shixun table or django-q2's queue.
"""

from __future__ import annotations

from urllib.parse import urlsplit

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from . import conftest as C
from .conftest import private_files, response_text
from .matrix import ANON, KNOWN_HOLES, ROLES, ROWS, Row
from .state import changes, database_state, watched_tables, writes

pytestmark = pytest.mark.django_db

REFUSED = (302, 403, 404)


def _cells():
    for row in ROWS:
        for role in ROLES:
            marks = []
            hole = KNOWN_HOLES.get((row.name, role))
            if hole:
                marks.append(pytest.mark.xfail(strict=True, raises=AssertionError, reason=hole))
            yield pytest.param(row, role, id=f"{row.id}|{role}", marks=marks)


def log_in(client, world, role: str) -> None:
    if role != ANON:
        client.force_login(world.role(role))


def request_as(client, world, row: Row, role: str):
    log_in(client, world, role)
    return send(client, world, row)


def send(client, world, row: Row):
    url = row.url(world)
    extra = {"HTTP_HOST": row.host} if row.host else {}
    if row.method == "GET":
        return url, client.get(url, **extra)
    data = row.data(world) if row.data else {}
    if row.content_type:
        return url, client.post(url, data=data, content_type=row.content_type, **extra)
    return url, client.post(url, data=data, **extra)


@pytest.mark.parametrize(("row", "role"), list(_cells()))
def test_access(client, world, row, role):
    allowed = role in row.allowed
    watch_state = row.method != "GET" and (
        not allowed or (row.changes_allowed_for is not None and role not in row.changes_allowed_for)
    )
    log_in(client, world, role)
    if watch_state:
        before, files_before = database_state(), private_files()

    with CaptureQueriesContext(connection) as queries:
        url, response = send(client, world, row)
        if getattr(response, "streaming", False):  # streamed bodies run their queries while read
            response.streaming_content = [b"".join(response.streaming_content)]
    if row.method == "GET":
        # No GET has a side effect, whoever asks and whatever the answer.
        tables = watched_tables() - row.get_writes
        assert writes(queries, tables) == [], f"GET {row.name} as {role} wrote to the database"

    if allowed:
        assert response.status_code in row.ok, (
            f"{role} may use {row.id} ({url}) but got {response.status_code} {response.get('Location', '')}"
        )
    else:
        assert response.status_code in REFUSED, f"{role} got {response.status_code} from {row.id} ({url})"
        if response.status_code == 302:
            target = urlsplit(response["Location"]).path
            assert target != urlsplit(url).path, f"{row.id} redirected {role} to itself"
            if role == ANON:
                assert "login" in target, f"anonymous sent to {target} instead of the login page"
    secret = row.secret(world)
    may_see = allowed and (row.secret_visible_to is None or role in row.secret_visible_to)
    if secret and not may_see:
        assert secret not in response_text(response), f"{row.id} shows {secret!r} to {role}"
    if watch_state:
        assert changes(before, database_state()) == {}, f"{row.id} changed data for {role}"
        assert private_files() == files_before


def test_the_world_holds_what_the_matrix_protects(world):
    """The objects behind the secrets really exist, so a refusal proves something."""
    assert world.attempt.state == "awaiting_grading"
    assert world.version.file and world.submission.learner_id == world.teacher.pk
    assert world.certificate.learner_id == world.teacher.pk
    assert world.external.certificate
    assert world.school_job.file and world.district_job.file
    assert world.h5p_activity.results.filter(user=world.teacher).exists()
    with world.document.file.open("rb") as handout:
        assert C.DOCUMENT_SECRET in handout.read()
    assert world.image.width and world.image.file
    world.task_state.refresh_from_db()
    assert world.task_state.status == "in_progress"
    assert world.review_module.__class__.objects.get(pk=world.review_module.pk).has_unpublished_changes


@pytest.mark.parametrize(
    "row_name,role",
    [
        ("assignments:download", "teacher"),
        ("assignments:download", "school_admin"),
        ("schools:external_certificate", "teacher"),
        ("transcripts:person_pdf", "district_admin"),
        ("schools:export_download", "school_admin"),
        ("quizzes:grade", "trainer"),
        ("assignments:download_zip", "trainer"),
        ("module page", "teacher"),
        ("wagtail admin view draft (in review)", "reviewer"),
        ("wagtail admin revisions compare", "other_trainer"),
        ("wagtail admin workflow preview", "reviewer"),
        ("wagtail admin question chooser", "trainer"),
        ("wagtail admin documents", "trainer"),
        ("wagtail admin document chooser", "reviewer"),
        ("wagtail admin report: site history", "trainer"),
        ("wagtail document file", "teacher"),
        ("transcripts:grades", "trainer"),
        ("reports:district_appraisal", "district_admin"),
        ("reports:school_download", "school_admin"),
        ("reports:district_download", "superuser"),
    ],
)
def test_allowed_cells_do_show_the_secret(client, world, row_name, role):
    """The secrets are on the allowed pages: a secret that is never shown would prove nothing when absent."""
    from .matrix import row_by_name

    row = row_by_name(row_name)
    _url, response = request_as(client, world, row, role)
    assert response.status_code == 200
    assert row.secret(world) in response_text(response)


@pytest.mark.parametrize("role", ["teacher", "sibling_teacher", "trainer", "superuser"])
def test_a_lesson_view_records_only_the_viewers_own_progress(client, world, role):
    """The one GET that writes by design: opening a lesson marks it opened for that learner, once."""
    from shixun.courses.models import ActivityProgress

    viewer = world.role(role)
    client.force_login(viewer)
    before = set(ActivityProgress.objects.values_list("pk", flat=True))
    assert client.get(world.module.url).status_code == 200
    new = ActivityProgress.objects.exclude(pk__in=before)
    learner = role in ("teacher", "sibling_teacher")
    assert {(p.user_id, p.module_id) for p in new} == ({(viewer.pk, world.module.pk)} if learner else set())
    assert client.get(world.module.url).status_code == 200
    assert ActivityProgress.objects.exclude(pk__in=before).count() == new.count(), "a second view adds nothing"


PUBLIC_SPELLINGS = ("/media/{name}", "/media/../private/{name}", "/media/%2e%2e/private/{name}", "/private/{name}",
                    "/documents/../private/{name}", "/static/../private/{name}", "/documents/1/{base}")


@pytest.mark.parametrize("role", [ANON, "superuser"])
def test_no_private_file_has_a_public_address(client, world, role):
    """Hand-ins, certificate scans, stored certificates and exports: only permission-checked views stream them."""
    from pathlib import Path

    from django.conf import settings

    root = Path(settings.PRIVATE_MEDIA_ROOT)
    # The world's own files: the worker's private root also holds what earlier tests of the worker left, a
    # number that grew with the suite (25 s a role on CI) and says nothing more about these addresses.
    stored = sorted(world.private_names)
    assert len(stored) >= 4, stored  # the hand-in, the scan, the certificate PDF, the export files
    log_in(client, world, role)
    for name in stored:
        body = (root / name).read_bytes()
        for spelling in PUBLIC_SPELLINGS:
            url = spelling.format(name=name, base=Path(name).name)
            response = client.get(url)
            content = b"".join(response.streaming_content) if response.streaming else response.content
            assert response.status_code in (301, 302, 404), (url, response.status_code)
            assert body not in content, url


@pytest.mark.parametrize("role", ["teacher", "sibling_teacher", "foreign_teacher", "school_admin",
                                  "sibling_school_admin"])
def test_teachers_and_school_admins_have_no_way_into_the_wagtail_admin(client, world, role):
    """Not one admin row lets them in: the permission itself is absent, and the admin sends them to its login."""
    user = world.role(role)
    assert not user.has_perm("wagtailadmin.access_admin")
    assert not user.is_staff and not user.is_superuser
    client.force_login(user)
    for row in ROWS:
        url = row.url(world)
        if not url.startswith("/admin/") or row.method != "GET":
            continue
        response = client.get(url)
        assert response.status_code == 302 and urlsplit(response["Location"]).path == "/admin/login/", url
