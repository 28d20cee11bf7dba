"""Personal data: what Shixun holds about a person, how to export it and how to erase it.

A small plug-in registry. Every model field that refers to a person (a
foreign key, one-to-one or many-to-many to the user model) is registered once
with what happens to it:

    personal_data.register("shixun_courses.Enrolment", "user", export=rows(), keep_reason=_("…"))
    personal_data.register("shixun_assignments.SubmissionVersion", "submission__learner",
                           export=rows(), erase=delete_rows(files=True))

- `export(user) -> list[dict]`: JSON-ready records for the person's download.
- `erase(user)`: removes the person's data held in that model (their uploads
  are deleted from storage after commit).
- `keep_reason`: why the rows stay when the person is erased. Rows that stay
  refer to the user row, which erasure turns into an anonymous shell, so they
  become pseudonymous (this is how the credit ledger keeps its rows without a
  single UPDATE).

tests/schools/test_personal_data.py walks every model's relations to the
user model and fails when one is not registered, so a new model cannot
quietly escape export and erasure.
"""

from __future__ import annotations

import datetime
import decimal
import secrets
import uuid
from collections.abc import Callable
from dataclasses import dataclass

from django.apps import apps
from django.contrib.auth import get_user_model
from django.db import models, transaction
from django.db.models.fields.files import FieldFile
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

# Why rows stay when their person is erased, shared by every app that registers.
AUTHORSHIP = gettext_lazy(
    "Authorship of shared content or of an action on someone else's record; points to the anonymous shell."
)
LEARNING_RECORD = gettext_lazy(
    "Learning record behind credit hours the district must retain; pseudonymous after erasure."
)
CREDIT_RECORD = gettext_lazy("Credit records must be retained (licence re-registration); pseudonymous after erasure.")

Exporter = Callable[[models.Model], list[dict]]
Eraser = Callable[[models.Model], None]


@dataclass(frozen=True)
class Registration:
    model_label: str  # "app_label.Model" of the model that declares the field
    field: str  # the relation to the user (may span relations: "submission__learner")
    export: Exporter | None
    erase: Eraser | None
    keep_reason: str | None

    @property
    def model(self) -> type[models.Model]:
        return apps.get_model(self.model_label)

    def queryset(self, user):
        return self.model._default_manager.filter(**{self.field: user.pk if self.field == "pk" else user})


_registry: dict[tuple[str, str], Registration] = {}


class RegistrationError(Exception):
    pass


def register(model, field: str, *, export: Exporter | None = None, erase: Eraser | None = None, keep_reason=None):
    """Declare how one relation to a person is exported and erased (or why it is kept).

    `model` is a model class or an "app_label.Model" label. Registering a
    label of an app that is not installed is a no-op, so an app can register
    optional neighbours.
    """
    label = model if isinstance(model, str) else model._meta.label
    if isinstance(model, str):
        try:
            apps.get_model(label)
        except LookupError:
            return None
    if not keep_reason and not (export and erase):
        raise RegistrationError(f"{label}.{field}: give export and erase, or a keep_reason")
    registration = Registration(label, field, export, erase, str(keep_reason) if keep_reason else None)
    # The generic helpers need to know which model and field they serve.
    for helper in (export, erase):
        if isinstance(helper, _Bound):
            helper.bind(registration)
    _registry[(label, field)] = registration
    return registration


def registrations() -> list[Registration]:
    _register_activity_kinds()
    return list(_registry.values())


def registered_relations() -> set[tuple[str, str]]:
    """(model label, field name) of each registered direct relation (the first part of a path)."""
    return {(r.model_label, r.field.split("__")[0]) for r in registrations()}


_kinds_registered = False


def _register_activity_kinds() -> None:
    """The relations each activity kind declares (courses.activities.ActivityKind.personal_data), once.

    Read on first use, not at start-up: the kinds are declared in the apps' admin hooks, which load after
    every app is ready.
    """
    global _kinds_registered
    if _kinds_registered:
        return
    from shixun.courses.activities import activity_kinds

    for kind in activity_kinds():
        for item in kind.personal_data:
            register(item.model, item.field, export=item.export, erase=item.erase, keep_reason=item.keep_reason)
    _kinds_registered = True


def relations_to_person() -> set[tuple[str, str]]:
    """Every concrete relation field, in every installed model, that points at the user model."""
    user_model = get_user_model()
    found = set()
    for model in apps.get_models():
        for field in model._meta.get_fields():
            if not field.is_relation or field.auto_created or field.related_model is not user_model:
                continue
            if not (field.concrete or field.many_to_many):
                continue
            found.add((field.model._meta.label, field.name))
    return found


# --- Generic helpers ------------------------------------------------------------


def _json_value(value):
    if isinstance(value, datetime.datetime | datetime.date | datetime.time):
        return value.isoformat()
    if isinstance(value, decimal.Decimal):
        return str(value)
    if isinstance(value, uuid.UUID):
        return str(value)
    if isinstance(value, FieldFile):
        return value.name or ""
    if isinstance(value, bytes):
        return None
    if isinstance(value, list | tuple):
        return [_json_value(v) for v in value]
    if isinstance(value, dict):
        return {str(k): _json_value(v) for k, v in value.items()}
    return value


def model_to_record(instance, exclude=()) -> dict:
    record = {}
    for field in instance._meta.concrete_fields:
        if field.name in exclude:
            continue
        value = getattr(instance, field.attname)
        record[field.name if not field.is_relation else field.attname] = _json_value(value)
    return record


class _Bound:
    registration: Registration | None = None

    def bind(self, registration: Registration) -> None:
        self.registration = registration


class _RowsExporter(_Bound):
    def __init__(self, exclude=()):
        self.exclude = set(exclude)

    def __call__(self, user) -> list[dict]:
        return [model_to_record(row, self.exclude) for row in self.registration.queryset(user).order_by("pk")]


class _DeleteRows(_Bound):
    def __call__(self, user) -> None:
        queryset = self.registration.queryset(user)
        file_fields = [f for f in self.registration.model._meta.concrete_fields if isinstance(f, models.FileField)]
        doomed = []
        for row in queryset.only("pk", *[f.name for f in file_fields]) if file_fields else []:
            for f in file_fields:
                stored = getattr(row, f.name)
                if stored and stored.name:
                    doomed.append((stored.storage, stored.name))
        queryset.delete()
        # Files go only once the rows are gone for good; a rolled-back
        # erasure leaves everything as it was.
        transaction.on_commit(lambda: [storage.delete(name) for storage, name in doomed])


def rows(exclude=()) -> Exporter:
    """Export every row of the registered model that refers to the person (all concrete fields)."""
    return _RowsExporter(exclude)


def delete_rows() -> Eraser:
    """Delete every row that refers to the person, and the files those rows hold."""
    return _DeleteRows()


# --- The two operations -----------------------------------------------------------


def export_person(user) -> dict:
    """Everything registered about `user`, as a JSON-ready dict grouped by model."""
    data: dict[str, dict] = {}
    for registration in registrations():
        if registration.export is None:
            continue
        records = registration.export(user)
        if records:
            data.setdefault(registration.model_label, {})[registration.field] = records
    return {
        "format": "shixun-personal-data/1",
        "exported_at": timezone.now().isoformat(),
        "person_id": user.pk,
        "data": data,
    }


ANONYMOUS_NAME = "已删除用户 #{pk}"


def anonymise_user(user) -> None:
    """Turn the user row and its profile into an anonymous shell: the id stays so kept records remain consistent.

    The profile keeps its school and district (the anonymous rows still count
    for the school's figures); name, contact details, staff number, start date
    and subjects go.
    """
    from shixun.accounts.models import Profile
    from shixun.accounts.people import profile_of

    profile = profile_of(user)
    if profile.pk is None:
        profile = Profile(user=user)
    profile.full_name = ANONYMOUS_NAME.format(pk=user.pk)
    profile.phone = ""
    profile.staff_number = ""
    profile.start_date = None
    profile.save()
    profile.subjects.clear()
    setattr(user, user.USERNAME_FIELD, f"erased-{user.pk}-{secrets.token_hex(6)}")
    setattr(user, user.get_email_field_name(), "")
    user.is_active = False
    user.is_staff = False
    user.is_superuser = False
    user.set_unusable_password()
    user.save()
    user.groups.clear()
    user.user_permissions.clear()


def identifiers_of(user) -> list[str]:
    """Strings that identify the person, to find them in free-form records (job arguments, log labels)."""
    from shixun.accounts.people import profile_of

    profile = profile_of(user)
    email = getattr(user, user.get_email_field_name(), "")
    values = [user.get_username(), email, profile.phone, profile.full_name, profile.staff_number]
    return [v for v in values if v and len(v) >= 2]


def erase_person(user, *, erased_by) -> None:
    """Erase a person who has left: every eraser, then the background-job records, then the user row itself.

    One transaction: either everything is erased or nothing is. `erased_by`
    must be allowed to erase the person (permissions.can_erase_person: a
    district admin of their district for a teacher, a superuser for staff;
    accounts.actors.SYSTEM skips the check), else NotPermitted and nothing
    is erased.
    """
    from shixun.accounts.actors import recorded_person, require
    from shixun.accounts.throttling import forget_login_attempts

    from .models import ErasureRecord
    from .permissions import can_erase_person

    user_model = get_user_model()
    with transaction.atomic():
        user = user_model.objects.select_for_update().get(pk=user.pk)
        require(erased_by, lambda actor: can_erase_person(actor, user), _("You cannot erase this person's data."))
        identifiers = identifiers_of(user)
        for registration in registrations():
            if registration.erase is not None:
                registration.erase(user)
        erase_job_records(user, identifiers)
        erase_sessions(user)
        # Failed-login records name the person (username, staff number) with a client address.
        forget_login_attempts(user)
        scrub_log_labels(user)
        anonymise_user(user)
        ErasureRecord.objects.create(person_id=user.pk, erased_by=recorded_person(erased_by))


def _mentions(value, user, identifiers) -> bool:
    text = repr(value)
    if any(identifier in text for identifier in identifiers):
        return True
    if isinstance(value, dict):
        return any(k in ("user_id", "person_id", "learner_id") and v == user.pk for k, v in value.items())
    return False


def erase_job_records(user, identifiers) -> int:
    """Delete django-q2 task records (done, failed or queued) whose arguments or result mention the person.

    Task arguments are pickled, so they cannot be searched in SQL; the table
    is bounded by Q_CLUSTER["save_limit"], so reading it through is fine for
    a rare operation.
    """
    from django_q.models import OrmQ, Task

    removed = 0
    doomed = []
    for task in Task.objects.all().iterator(chunk_size=200):
        try:
            fields = (task.args, task.kwargs, task.result)
        except Exception:  # noqa: S112 - an unreadable pickle: nothing we can prove it mentions
            continue
        if any(_mentions(value, user, identifiers) for value in fields):
            doomed.append(task.pk)
    removed += Task.objects.filter(pk__in=doomed).delete()[0]
    doomed = []
    for queued in OrmQ.objects.all().iterator(chunk_size=200):
        try:
            payload = queued.task()
        except Exception:  # noqa: S112 - an unreadable payload (signed with another key)
            continue
        if any(_mentions(payload.get(key), user, identifiers) for key in ("args", "kwargs")):
            doomed.append(queued.pk)
    removed += OrmQ.objects.filter(pk__in=doomed).delete()[0]
    return removed


def erase_sessions(user) -> None:
    """Log the person out everywhere (database sessions)."""
    from django.contrib.sessions.models import Session

    doomed = [
        session.pk
        for session in Session.objects.all().iterator(chunk_size=500)
        if str(session.get_decoded().get("_auth_user_id")) == str(user.pk)
    ]
    Session.objects.filter(pk__in=doomed).delete()


def scrub_log_labels(user) -> None:
    """Audit-log entries about the person's own account show their name as the label; show the pseudonym."""
    from django.contrib.admin.models import LogEntry
    from django.contrib.contenttypes.models import ContentType
    from wagtail.models import ModelLogEntry

    pseudonym = ANONYMOUS_NAME.format(pk=user.pk)
    user_type = ContentType.objects.get_for_model(get_user_model())
    LogEntry.objects.filter(content_type=user_type, object_id=str(user.pk)).update(object_repr=pseudonym)
    ModelLogEntry.objects.filter(content_type=user_type, object_id=str(user.pk)).update(label=pseudonym)
