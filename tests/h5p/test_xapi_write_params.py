"""The xAPI write's parameters, prepared per column as decided once (results._ColumnAdapters), are the ORM's.

The statement's INSERT and the result's UPDATE no longer ask each model field to prepare each value: a column
whose field gives back the values this module writes unchanged is passed through, and on PostgreSQL the
statement's JSON goes as jsonb from the text parse_statement already made. These tests hold every column to
its field's own preparation, and the stored JSON to the statement, on the database the suite runs on.
"""

import datetime
import uuid
from decimal import Decimal

import pytest
from django.db import connection

from shixun.assessments.h5p import results
from shixun.assessments.h5p.models import H5PResult, H5PStatement
from shixun.assessments.h5p.results import RUNNING_FIELDS, parse_statement, record_statement

from .test_xapi import statement

pytestmark = pytest.mark.django_db

NOW = datetime.datetime(2026, 12, 6, 9, 7, 0, 654321, tzinfo=datetime.UTC)

STATEMENT_VALUES = [
    (7, 3, 11, "id:" + str(uuid.uuid4()), "http://adlnet.gov/expapi/verbs/answered", Decimal("0.4200"),
     Decimal("4.2"), Decimal("10"), False, None, {"verb": {"id": "x:y"}}, NOW),
    (2_147_483_000, 1, 1, "a" * 64, "http://adlnet.gov/expapi/verbs/completed", None, None, None, None, True, {},
     NOW.replace(microsecond=0)),
    (1, 2, 3, "", "", Decimal("-1.0000"), Decimal("-3"), Decimal("1E+9"), True, False, {"a": [1, 2.5, None]}, NOW),
]

RUNNING_VALUES = [
    [Decimal("0.5000"), Decimal("0.5000"), False, False, 0, 3, 3, NOW],
    [None, None, True, True, 2, 0, 2, NOW.replace(microsecond=0)],
    [Decimal("1.0000"), None, True, False, 1, 7, 1, NOW],
]


def by_field(model, names, values):
    get_field = model._meta.get_field
    return [get_field(name).get_db_prep_save(value, connection) for name, value in zip(names, values, strict=True)]


def same(a, b) -> bool:
    return type(a) is type(b) and a == b


@pytest.mark.parametrize("values", STATEMENT_VALUES)
def test_the_statements_columns_are_prepared_as_their_fields_prepare_them(values):
    adapters = results._ColumnAdapters.of(H5PStatement, results._STATEMENT_COLUMNS, connection.vendor)
    ours = adapters.prepare(values)
    theirs = by_field(H5PStatement, results._STATEMENT_COLUMNS, values)
    json_at = results._STATEMENT_JSON
    for position, (mine, field_s) in enumerate(zip(ours, theirs, strict=True)):
        if position != json_at:
            assert same(mine, field_s), (results._STATEMENT_COLUMNS[position], mine, field_s)
    if adapters.jsonb is None:
        assert same(ours[json_at], theirs[json_at])
    else:  # PostgreSQL: the same jsonb from the field's dump, from the text given, and without one
        given = adapters.jsonb(values[json_at], parse_statement_text(values[json_at]))
        dumped = adapters.jsonb(values[json_at], None)
        with connection.cursor() as cursor:
            cursor.execute("SELECT %s = %s, %s = %s", [given, theirs[json_at], dumped, theirs[json_at]])
            assert cursor.fetchone() == (True, True)


def parse_statement_text(value):
    import json

    return json.dumps(value, sort_keys=True, ensure_ascii=False, separators=(",", ":"))


@pytest.mark.parametrize("values", RUNNING_VALUES)
def test_the_running_figures_are_prepared_as_their_fields_prepare_them(values):
    adapters = results._ColumnAdapters.of(H5PResult, tuple(RUNNING_FIELDS), connection.vendor)
    ours, theirs = adapters.prepare(values), by_field(H5PResult, RUNNING_FIELDS, values)
    assert all(same(a, b) for a, b in zip(ours, theirs, strict=True)), (ours, theirs)


def test_on_postgresql_no_column_is_prepared_per_value_and_elsewhere_the_converting_ones_are():
    statement_adapters = results._ColumnAdapters.of(H5PStatement, results._STATEMENT_COLUMNS, connection.vendor)
    running = results._ColumnAdapters.of(H5PResult, tuple(RUNNING_FIELDS), connection.vendor)
    if connection.vendor == "postgresql":
        assert statement_adapters.passes_all and statement_adapters.jsonb is not None
        # the counts go as PostgreSQL's int4 (psycopg's Int4), as their field sends them; the rest unchanged
        assert all(step is None or isinstance(step, type) for step in running.steps), running.steps
    else:  # SQLite: datetimes become text, the JSON is dumped by its field
        received_at = results._STATEMENT_COLUMNS.index("received_at")
        assert statement_adapters.steps[received_at] is not None and statement_adapters.jsonb is None
        assert statement_adapters.steps[results._STATEMENT_JSON] is not None


def test_a_stored_statement_reads_back_as_the_statement_sent(world):
    data = statement(world, "answered", scaled=0.3, raw=3, maximum=10, success=False, completion=None,
                     id=str(uuid.uuid4()))
    data["object"]["definition"] = {"name": {"zh-CN": "师德规范 “引号” \\ 反斜杠"}, "n": [1, 2.5, -0.0001, 10**12]}
    data["context"]["extensions"] = {"http://h5p.org/x-api/h5p-local-content-id": 1, "flag": True, "none": None}
    parsed = parse_statement(data)
    record_statement(world.learner, world.activity.pk, world.module.pk, world.content.pk, parsed)
    stored = H5PStatement.objects.get(dedupe_key=parsed.dedupe_key)
    assert stored.statement == parsed.statement
    assert "actor" not in stored.statement
    assert stored.received_at is not None and stored.scaled_score == Decimal("0.3000")
