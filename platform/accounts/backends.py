"""Log in with a username or a staff number (工号); optional for a host site.

Teachers know their staff number better than a made-up username. A staff
number (kept on the teacher's accounts.Profile) is unique only within a
district, so the same number can belong to two people in different districts:
the password decides, and if it fits more than one of them nobody is logged
in (the user is asked for their username).

Works with any AUTH_USER_MODEL. Its get_user also loads the profile with the
user, so reading request.user's profile costs no extra query.

get_user runs on every signed-in request, so its query is compiled once per
database connection (`_UserByPk`): the ORM took ~0.65 ms of CPU per request
to compile `select_related(...).get(pk=…)` again, more than the query itself
(issue #18, the study-time heartbeat). The rows become model instances
through the ORM's own converters and related populators, as a queryset would
make them. The same read brings the names of the user's groups (their roles,
`Profile.role_names`), so a page that checks a role asks no groups query of
its own (issue #18, the course page); a group change shows on the next
request, as the user is read again on every request.
"""

import json
import weakref

from django.contrib.auth import get_user_model
from django.contrib.auth.backends import ModelBackend
from django.core.exceptions import ObjectDoesNotExist
from django.db import DEFAULT_DB_ALIAS, connections, router
from django.db.models import Aggregate, OuterRef, Q, Subquery, TextField
from django.db.models.query import get_related_populators

ROLE_NAMES = "_shixun_role_names"


class _GroupNames(Aggregate):
    """The names as a list the driver returns unambiguously: a PostgreSQL array, SQLite JSON text."""

    function = "ARRAY_AGG"
    output_field = TextField()

    def as_sqlite(self, compiler, connection, **extra):
        return super().as_sql(compiler, connection, function="JSON_GROUP_ARRAY", **extra)


def _role_names_subquery(model, connection):
    """The user's group names, or None when this user model or database cannot bring them along."""
    if connection.vendor not in ("postgresql", "sqlite"):
        return None
    try:
        through = model._meta.get_field("groups").remote_field.through
    except Exception:  # noqa: BLE001 (a user model without Django's groups)
        return None
    user_column = next(f.name for f in through._meta.fields if f.is_relation and f.related_model is model)
    group_column = next(f.name for f in through._meta.fields if f.is_relation and f.related_model is not model)
    names = (
        through.objects.filter(**{user_column: OuterRef("pk")})
        .order_by()
        .values(user_column)
        .annotate(names=_GroupNames(f"{group_column}__name"))
        .values("names")
    )
    return Subquery(names, output_field=TextField())


def _parse_role_names(value, vendor) -> frozenset[str]:
    if value is None:
        return frozenset()
    if vendor == "sqlite":
        value = json.loads(value)
    return frozenset(value)


class _UserByPk:
    """`User._default_manager.select_related("shixun_profile").get(pk=…)`, compiled once for one connection."""

    def __init__(self, model, connection):
        self.model, self.connection = model, connection
        queryset = model._default_manager.select_related("shixun_profile").filter(pk=0)
        role_names = _role_names_subquery(model, connection)
        if role_names is not None:
            queryset = queryset.annotate(**{ROLE_NAMES: role_names})
        query = queryset.query
        compiler = query.get_compiler(connection=connection)
        self.sql, params = compiler.as_sql()
        if list(params) != [0]:  # a manager that adds parameters of its own: not a shape this class knows
            raise ValueError(f"unexpected parameters {params!r}")
        self.compiler = compiler
        klass_info, select = compiler.klass_info, compiler.select
        first, last = klass_info["select_fields"][0], klass_info["select_fields"][-1]
        self.fields = slice(first, last + 1)
        self.init_list = [column[0].target.attname for column in select[self.fields]]
        self.converters = compiler.get_converters([column[0] for column in select[: compiler.col_count]])
        self.populators = get_related_populators(klass_info, select, connection.alias)
        self.pk_field = model._meta.pk
        self.role_names_at = compiler.annotation_col_map.get(ROLE_NAMES)

    def get(self, pk):
        value = self.pk_field.get_db_prep_value(self.pk_field.get_prep_value(pk), self.connection)
        with self.connection.cursor() as cursor:
            cursor.execute(self.sql, [value])
            rows = cursor.fetchall()
        if self.converters:
            rows = self.compiler.apply_converters(rows, self.converters)
        for row in rows:
            user = self.model.from_db(self.connection.alias, self.init_list, row[self.fields])
            for populator in self.populators:
                populator.populate(row, user)
            if self.role_names_at is not None:
                self._keep_role_names(user, row[self.role_names_at])
            return user
        raise self.model.DoesNotExist

    def _keep_role_names(self, user, value):
        try:
            profile = user.shixun_profile
        except ObjectDoesNotExist:  # no profile row: profile_of makes an empty one, which asks itself
            return
        # Profile.role_names is a cached_property: what it would have read, read already.
        profile.__dict__["role_names"] = _parse_role_names(value, self.connection.vendor)


_compiled: "weakref.WeakKeyDictionary" = weakref.WeakKeyDictionary()  # connection → _UserByPk (per thread)


def _user_by_pk(pk):
    User = get_user_model()
    connection = connections[router.db_for_read(User) or DEFAULT_DB_ALIAS]
    compiled = _compiled.get(connection)
    if compiled is None or compiled.model is not User:
        try:
            compiled = _compiled[connection] = _UserByPk(User, connection)
        except ValueError:
            return User._default_manager.select_related("shixun_profile").get(pk=pk)
    return compiled.get(pk)


class UsernameOrStaffNumberBackend(ModelBackend):
    def authenticate(self, request, username=None, password=None, **kwargs):
        User = get_user_model()
        username_field = User.USERNAME_FIELD
        identifier = (username or kwargs.get(username_field) or "").strip()
        if not identifier or password is None:
            return None
        by_identifier = Q(**{username_field: identifier}) | Q(shixun_profile__staff_number=identifier)
        candidates = list(User._default_manager.filter(by_identifier)[:10])
        if not candidates:
            # Run the hasher once anyway so response time does not reveal
            # whether an account exists.
            User().set_password(password)
            return None
        by_username = [user for user in candidates if user.get_username() == identifier]
        if by_username:
            candidates = by_username
        matches = [user for user in candidates if user.check_password(password) and self.user_can_authenticate(user)]
        return matches[0] if len(matches) == 1 else None

    def get_user(self, user_id):
        User = get_user_model()
        try:
            user = _user_by_pk(user_id)
        except User.DoesNotExist:
            return None
        return user if self.user_can_authenticate(user) else None
