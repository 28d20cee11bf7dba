"""config.prepared: the hot statements PostgreSQL plans once per connection, and nothing else prepared."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from shixun.config.prepared import prepared_cursor
from shixun.courses import enrolment as services
from shixun.courses import study

pytestmark = pytest.mark.django_db

T0 = 1_800_000_000_000


@pytest.fixture
def postgres():
    if connection.vendor != "postgresql":
        pytest.skip("prepared statements are PostgreSQL's")


def prepared_statements() -> list[str]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT statement FROM pg_prepared_statements")
        return [row[0] for row in cursor.fetchall()]


def added(before: list[str]) -> list[str]:
    """Statements prepared on this connection since `before` (the connection outlives a test)."""
    return [text for text in prepared_statements() if text not in before]


def test_a_prepared_statement_answers_as_an_ordinary_one_and_is_logged_with_its_values(postgres):
    before = prepared_statements()
    with CaptureQueriesContext(connection) as queries, prepared_cursor() as cursor:
        cursor.execute("SELECT %s::int + 1, %s::text", [41, "师训"])
        assert cursor.fetchone() == (42, "师训")
    assert queries.captured_queries[0]["sql"] == "SELECT 41::int + 1, '师训'::text"
    assert added(before) == ["SELECT $1::int + 1, $2::text"]


def test_djangos_own_statements_stay_unprepared(postgres):
    before = prepared_statements()
    with prepared_cursor() as cursor:
        cursor.execute("SELECT %s::int", [1])
    list(connection.cursor().execute("SELECT 1") or [])
    from django.contrib.auth import get_user_model

    get_user_model().objects.filter(pk=1).exists()
    assert added(before) == ["SELECT $1::int"]


def test_the_heartbeat_statement_is_planned_once_per_connection(postgres, org, course):
    executions = executions_of_prepared_updates()
    services.enrol_self(org.teacher, course)
    module = course.live_modules().first()
    study.beat(org.teacher, module.pk, start=True, at=T0)
    for second in range(1, 8):
        study.beat(org.teacher, module.pk, at=T0 + second * 1000)
    assert executions_of_prepared_updates() >= executions + 7  # each ordinary beat ran the prepared statement
    beats = [text for text in prepared_statements() if text.startswith("UPDATE")]
    assert beats and all("shixun_courses_studytime" in text for text in beats)


def executions_of_prepared_updates() -> int:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT coalesce(sum(generic_plans + custom_plans), 0) FROM pg_prepared_statements "
            "WHERE statement LIKE 'UPDATE%%'"
        )
        return cursor.fetchone()[0]


def test_the_setting_off_prepares_nothing(postgres, org, course, settings):
    settings.SHIXUN_DB_PREPARED_STATEMENTS = False
    before, executions = prepared_statements(), executions_of_prepared_updates()
    services.enrol_self(org.teacher, course)
    module = course.live_modules().first()
    study.beat(org.teacher, module.pk, start=True, at=T0)
    for second in range(1, 8):
        study.beat(org.teacher, module.pk, at=T0 + second * 1000)
    with prepared_cursor() as cursor:
        cursor.execute("SELECT %s::int * 3", [1])
    assert added(before) == []
    assert executions_of_prepared_updates() == executions  # no beat ran a prepared statement
