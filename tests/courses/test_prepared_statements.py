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


# --- the cursor kept per connection ---------------------------------------------------------------------


def test_one_cursor_is_kept_per_connection_and_a_nested_one_is_its_own(postgres):
    with prepared_cursor() as outer:
        kept = outer.cursor
        outer.execute("SELECT %s::int", [1])
        with prepared_cursor() as inner:  # while the kept one is in use
            assert inner.cursor is not kept
            inner.execute("SELECT %s::int", [2])
            assert inner.fetchone() == (2,)
        assert inner.cursor.closed and outer.fetchone() == (1,)  # the nested one is closed; outer's rows intact
    assert not kept.closed and kept.pgresult is None  # kept, its results cleared
    with prepared_cursor() as again:
        assert again.cursor is kept
        again.execute("SELECT %s::int * 2", [21])
        assert again.fetchone() == (42,)


def test_the_kept_cursor_survives_a_failed_transaction(postgres):
    from django.db import DataError, transaction

    with prepared_cursor() as cursor:
        kept = cursor.cursor
    with pytest.raises(DataError), transaction.atomic(), prepared_cursor() as cursor:
        cursor.execute("SELECT 1 / %s::int", [0])
    with transaction.atomic(), prepared_cursor() as cursor:
        assert cursor.cursor is kept
        cursor.execute("SELECT 1 / %s::int", [1])
        assert cursor.fetchone() == (1,)
    assert "SELECT 1 / $1::int" in prepared_statements()


@pytest.mark.django_db(transaction=True)
def test_a_closed_or_lost_connection_gets_a_new_cursor_and_prepares_again(postgres):
    with prepared_cursor() as cursor:
        cursor.execute("SELECT %s::int + 7", [1])
        kept, raw = cursor.cursor, connection.connection
    connection.close()
    with prepared_cursor() as cursor:  # a new connection: a new cursor, the statement prepared again
        assert cursor.cursor is not kept and connection.connection is not raw
        cursor.execute("SELECT %s::int + 7", [2])
        assert cursor.fetchone() == (9,)
    assert "SELECT $1::int + 7" in prepared_statements()
    # The server ends the connection under the kept cursor: the statement fails as Django's would, and the
    # next request's connection (Django closes an unusable one at the request's start) has its own cursor.
    import psycopg
    from django.db import OperationalError, close_old_connections

    pid = connection.connection.info.backend_pid
    with psycopg.connect(**connection.get_connection_params(), autocommit=True) as other:
        other.execute("SELECT pg_terminate_backend(%s)", [pid])

    with pytest.raises(OperationalError), prepared_cursor() as cursor:
        cursor.execute("SELECT %s::int + 7", [3])
    close_old_connections()
    with prepared_cursor() as cursor:
        cursor.execute("SELECT %s::int + 7", [4])
        assert cursor.fetchone() == (11,)
