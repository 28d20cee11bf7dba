"""A read of fixed shape, compiled by the ORM once per database connection and then run as SQL.

Building a queryset's SQL (resolving its filters, joins and subqueries) costs
more CPU than running it for the small, hot reads of every page view
(bench/ANALYSIS.md: ~a quarter of the course page). When only the values
change from one call to the next, `CompiledValues` compiles the queryset
once with stand-in values, remembers where each stand-in sits among the
compiled query's parameters, and later runs the same SQL with the real
values as bound parameters (quoted by the database driver, never put into
the SQL text). The rows go through the ORM's own converters (Decimal, date
and boolean columns differ between SQLite and PostgreSQL), so the answer is
what `.values()` would return. The same pattern, written for its own row
shapes, is in accounts/backends.py (the session's user) and
assessments/h5p/results.py (the xAPI locked read).

Stand-ins must be values no row has and that cannot be confused with a
constant of the query: large negative numbers, strings that are not paths
or slugs, or dates long past (a date is given to the database as its
backend takes a DateField's value). A stand-in is also recognised as the prefix of a `__startswith`
lookup (the parameter the ORM makes of it, "stand-in%"), and is then given
escaped as the ORM escapes it.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import date, datetime

from django.db import DEFAULT_DB_ALIAS, connections
from django.db.models import QuerySet
from django.db.models.query import get_related_populators

from shixun.config.prepared import prepared_cursor


class _Compiled:
    def __init__(self, queryset: QuerySet, stand_ins: dict, conn, prepared: bool = False):
        self.connection = conn
        self.prepared = prepared
        query = queryset.query
        compiler = query.get_compiler(connection=conn)
        self.sql, params = compiler.as_sql()
        by_value = {value: name for name, value in stand_ins.items() if not _is_date(value)}
        prefixes = {f"{value}%": name for name, value in stand_ins.items() if isinstance(value, str)}
        dates = {}
        for name, value in stand_ins.items():
            if _is_date(value):  # as the date itself, or as the backend's text of it (SQLite)
                dates[value] = dates[conn.ops.adapt_datefield_value(value)] = name
        slots = []
        for value in params:
            if isinstance(value, date | str) and not isinstance(value, datetime) and value in dates:
                slots.append(("date", dates[value]))
            elif isinstance(value, int | str) and not isinstance(value, bool) and value in by_value:
                slots.append(("exact", by_value[value]))
            elif isinstance(value, str) and value in prefixes:
                slots.append(("prefix", prefixes[value]))
            else:
                slots.append(("value", value))
        found = {name for kind, name in slots if kind != "value"}
        inlined = [name for name, value in stand_ins.items() if str(value).lstrip("-") in self.sql]
        if found != set(stand_ins) or inlined:
            # A Django change that inlines a value into the SQL text (or a query that drops one) must not go
            # unnoticed: the compiled SQL would then answer for the stand-in, not the value given.
            raise RuntimeError(f"{queryset.model.__name__}: not every value compiles to a parameter ({found})")
        self.slots = tuple(slots)
        # The columns' names as ValuesIterable gives them: Django 5.2 keeps values()'s own order (`selected`),
        # which puts an annotation between fields where values() names it there.
        self.names = (
            list(query.selected)
            if query.selected
            else [*query.extra_select, *query.values_select, *query.annotation_select]
        )
        self.compiler = compiler
        self.converters = compiler.get_converters([column for column, _, _ in compiler.select[: compiler.col_count]])

    def params(self, given: dict) -> list:
        ops = self.connection.ops
        params = []
        for kind, value in self.slots:
            if kind == "exact":
                params.append(given[value])
            elif kind == "prefix":
                params.append(f"{ops.prep_for_like_query(given[value])}%")
            elif kind == "date":
                params.append(ops.adapt_datefield_value(given[value]))
            else:
                params.append(value)
        return params

    def rows(self, given: dict) -> list:
        with prepared_cursor(self.connection) if self.prepared else self.connection.cursor() as cursor:
            cursor.execute(self.sql, self.params(given))
            rows = cursor.fetchall()
        if self.converters:
            rows = list(self.compiler.apply_converters(rows, self.converters))
        return rows

    def values(self, given: dict) -> list[dict]:
        names = self.names
        return [dict(zip(names, row, strict=True)) for row in self.rows(given)]

    def models(self, given: dict) -> list:
        """The rows as model instances with their select_related objects, made as ModelIterable makes them."""
        compiler, alias = self.compiler, self.connection.alias
        if not hasattr(self, "_populators"):
            klass_info, select = compiler.klass_info, compiler.select
            fields = klass_info["select_fields"]
            self._span = (fields[0], fields[-1] + 1)
            self._init_list = [column[0].target.attname for column in select[self._span[0]: self._span[1]]]
            self._populators = get_related_populators(klass_info, select, alias)
        model, (start, end) = compiler.klass_info["model"], self._span
        instances = []
        for row in self.rows(given):
            instance = model.from_db(alias, self._init_list, row[start:end])
            for populator in self._populators:
                populator.populate(row, instance)
            instances.append(instance)
        return instances


def _is_date(value) -> bool:
    return isinstance(value, date) and not isinstance(value, datetime)


class CompiledValues:
    """`build(**stand_ins)` is a `.values()` queryset; `.values(**given)` runs its SQL with the values given.

    `.instances(**given)`: for a queryset of a model's plain rows (`values(*concrete attnames)`, no
    select_related), the rows as model instances, made by `Model.from_db` as a queryset makes them.

    Compiled once per connection object (a thread's own: the SQL and the
    converters belong to that connection's backend). `prepared=True`: run through
    config.prepared's cursor, so PostgreSQL also parses and plans it once per
    connection (for the hot reads of a write path; its parameters are bound on the server).
    """

    def __init__(self, build: Callable[..., QuerySet], *, prepared: bool = False, **stand_ins):
        self.build, self.stand_ins, self.prepared = build, stand_ins, prepared
        self._local = threading.local()

    def compiled(self, using=None) -> _Compiled:
        conn = connections[using or DEFAULT_DB_ALIAS]
        compiled = getattr(self._local, conn.alias, None)
        if compiled is None or compiled.connection is not conn:
            compiled = _Compiled(self.build(**self.stand_ins), self.stand_ins, conn, self.prepared)
            setattr(self._local, conn.alias, compiled)
        return compiled

    def values(self, using=None, **given) -> list[dict]:
        return self.compiled(using).values(given)

    def models(self, using=None, **given) -> list:
        """For a queryset of model instances (select_related allowed, no annotations, no prefetch): the
        instances as the queryset would make them. A select_for_update queryset compiles only inside
        a transaction (run it in one: its SQL keeps the FOR UPDATE)."""
        return self.compiled(using).models(given)

    def instances(self, model, using=None, **given) -> list:
        compiled = self.compiled(using)
        alias = compiled.connection.alias
        return [model.from_db(alias, list(row), list(row.values())) for row in compiled.values(given)]


def concrete_attnames(model) -> list[str]:
    """What `instances` needs a queryset to select: every concrete column of the model, by attribute name."""
    return [field.attname for field in model._meta.concrete_fields]
