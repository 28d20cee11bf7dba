import pytest

from tests.factories import make_district, make_school, make_teacher, make_user


@pytest.fixture
def org(db):
    """Two districts, two schools in the first and one in the second, and people in each role.

    The shape every permission test needs: a second school in the same
    district and a school in another district, to prove nothing leaks across.
    """
    from shixun.accounts.models import Role

    class Org:
        pass

    o = Org()
    o.district = make_district(code="d-main", name="甘州区")
    o.other_district = make_district(code="d-other", name="临泽县")
    o.school = make_school(o.district, code="s-one", name="实验小学")
    o.sibling_school = make_school(o.district, code="s-two", name="第二中学")
    o.foreign_school = make_school(o.other_district, code="s-far", name="临泽一中")
    o.teacher = make_teacher(o.school, username="teacher", staff_number="T001", full_name="王秀英")
    o.sibling_teacher = make_teacher(o.sibling_school, username="sibling", staff_number="T002")
    o.foreign_teacher = make_teacher(o.foreign_school, username="foreign", staff_number="T001")
    o.school_admin = make_user(school=o.school, roles=[Role.SCHOOL_ADMIN], username="schooladmin")
    o.sibling_school_admin = make_user(school=o.sibling_school, roles=[Role.SCHOOL_ADMIN], username="siblingadmin")
    o.district_admin = make_user(district=o.district, roles=[Role.DISTRICT_ADMIN], username="districtadmin")
    o.foreign_district_admin = make_user(
        district=o.other_district, roles=[Role.DISTRICT_ADMIN], username="foreigndistrictadmin"
    )
    o.trainer = make_user(district=o.district, roles=[Role.TRAINER], username="trainer")
    o.reviewer = make_user(district=o.district, roles=[Role.REVIEWER], username="reviewer")
    o.superuser = make_user(username="root", is_superuser=True, is_staff=True)
    return o


@pytest.fixture
def access_lines(settings):
    """The access log's records at DEBUG and up (JsonFormatter's lines, parsed), with their levels; no request
    of a test is "slow" unless the test lowers SHIXUN_ACCESS_LOG_SLOW_MS (a busy machine cannot flip a level)."""
    import json
    import logging

    from shixun.config.logs import JsonFormatter

    settings.SHIXUN_ACCESS_LOG_SLOW_MS = 600_000

    lines = []

    class Collect(logging.Handler):
        def emit(self, record):
            lines.append(json.loads(JsonFormatter().format(record)))

    requests_log = logging.getLogger("shixun.requests")
    handler, level = Collect(), requests_log.level
    requests_log.addHandler(handler)
    requests_log.setLevel(logging.DEBUG)
    try:
        yield lines
    finally:
        requests_log.removeHandler(handler)
        requests_log.setLevel(level)


@pytest.hookimpl(optionalhook=True)
def pytest_configure_node(node):
    """xdist's controller, before each worker starts: the folder the run's workers share the migrated SQLite
    test database in (tests/sqlite_template.py)."""
    from tests.sqlite_template import WORKERINPUT_KEY, make_shared_directory

    node.workerinput[WORKERINPUT_KEY] = make_shared_directory(node.config)


def pytest_unconfigure(config):
    from tests.sqlite_template import remove_shared_directory

    remove_shared_directory(config)


@pytest.fixture(scope="session")
def django_db_modify_db_settings(django_db_modify_db_settings, request):
    """pytest-django's hook just before it creates the test databases: on SQLite under xdist, the first
    worker migrates and the others copy its database (tests/sqlite_template.py)."""
    from django.db import connection

    from tests.sqlite_template import create_test_db_from_template, template_directory

    folder = template_directory(request.config)
    if folder is None:
        yield
        return
    with create_test_db_from_template(connection, folder):
        yield


@pytest.fixture(scope="session")
def site(tmp_path_factory):
    """A real Shixun site for browser journeys (tests/e2e/conftest.py), one per xdist worker.

    Defined here, not in tests/e2e: a module elsewhere that imported the fixture got a definition, and so
    a site (migrate, demo data, web server, cluster), of its own.
    """
    from tests.e2e.conftest import running_site

    yield from running_site(tmp_path_factory)


@pytest.fixture(autouse=True)
def default_language_after_each_test():
    """Each test ends with the thread back on the default language.

    A request through the test client runs in the test's thread, and LocaleMiddleware activates the request's
    language there without deactivating it after the response (a server's next request activates its own). So
    a test after an English request rendered outside a request (a block, a PDF, a message) in English: an
    order-dependent failure (tests/courses/test_english_content.py, then tests/assignments/test_pages.py).
    """
    yield
    from django.utils import translation

    translation.deactivate()


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_setup(item):
    """A test that needs PostgreSQL (the needs_postgres fixture, tests/concurrency.py) skips elsewhere before
    its database is set up.

    Skipping from the fixture came after the database set-up: on SQLite a serialized_rollback test that
    followed a transactional one (whose flush re-creates the groups under new ids) failed to restore the
    serialized rows (UNIQUE constraint on auth_group.name) instead of skipping, and left the next tests'
    flush failing. Which test comes before which depends on the xdist workers' schedule.
    """
    if "needs_postgres" in getattr(item, "fixturenames", ()):
        from django.db import connection

        if connection.vendor != "postgresql":
            pytest.skip("needs PostgreSQL row locks (runs in CI's PostgreSQL pass)")


CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


@pytest.fixture(scope="session")
def browser():
    """Debian's chromium driven by Playwright (its own browser download cannot work offline)."""
    import os

    from playwright.sync_api import sync_playwright

    # Playwright's sync API keeps an asyncio loop running in this thread, which
    # makes Django refuse ORM calls from the test body unless told otherwise.
    os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


# The fixtures through which a test reaches the test database (pytest-django's, and every fixture that
# requests one of them: `org`, `client` logins, … ask for `db`).
DATABASE_FIXTURES = frozenset(
    {"db", "transactional_db", "django_db_setup", "django_db_reset_sequences", "django_db_serialized_rollback",
     "live_server"}
)


def pytest_itemcollected(item):
    """Mark `no_database` each test that reaches no test database: no `django_db` mark, no database fixture.

    pytest-django refuses a query from any other test, and the tests that start a Django process remove
    DATABASE_URL from its environment, so such a test runs the same on either database: the PostgreSQL
    main pass deselects them (Makefile test-postgres-main), as test-sqlite has run them already.
    """
    if item.get_closest_marker("django_db") is None and not DATABASE_FIXTURES & set(getattr(item, "fixturenames", ())):
        item.add_marker(pytest.mark.no_database)


@pytest.hookimpl(trylast=True)
def pytest_collection_modifyitems(config, items):
    """Keep `--dist loadgroup` grouping: suffix each grouped test's id with "@<group>" on the xdist worker.

    pytest-xdist 3.8 tells its scheduler a test's xdist_group by appending "@<group>" to the test id the
    worker sends, and does it by assigning `item._nodeid`; pytest 9.2 builds ids from a structured `_id`
    instead, so the assignment is lost and every grouped test went to whichever worker was free
    (pytest-xdist issue 1386): both workers then started their own e2e site. trylast: after the e2e
    conftest adds its group mark. Nothing happens when xdist's own suffix is there (a fixed xdist).
    """
    if not getattr(config.option, "loadgroup", False):
        return
    try:
        from _pytest.nodeid import NodeId
    except ImportError:  # pytest before 9.2: xdist's own suffix works
        return
    for item in items:
        names = {str(mark.args[0] if mark.args else mark.kwargs.get("name", "default"))
                 for mark in item.iter_markers("xdist_group")}
        suffix = "@" + "_".join(sorted(names))
        if names and not item.nodeid.endswith(suffix):
            item._id = NodeId.parse(item.nodeid + suffix)
