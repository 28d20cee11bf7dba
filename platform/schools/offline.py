"""Offline and external training (学分登记): register, approve or reject, and group credit.

Each state change is one function that checks permission, locks the record
and changes it inside a transaction. Approval posts the hours through the
credit ledger's own service (transcripts.ledger.post_entry) with the record's
id as the idempotency key: a double click, a retried request or two admins
at once post one entry.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from shixun.accounts.actors import NotPermitted, is_system, recorded_person, require
from shixun.accounts.people import profile_of
from shixun.accounts.permissions import can_administer_school
from shixun.inbox import notices

from .models import ExternalTraining, GroupCredit
from .permissions import can_decide_external_training as can_decide

User = get_user_model()

CERTIFICATE_MAX_BYTES = 10 * 1024 * 1024
MAX_HOURS = Decimal("500")


class ExternalTrainingError(Exception):
    """A refused action; the message is for the user."""

    def __init__(self, message):
        super().__init__(message)
        self.message = message


class ExternalTrainingNotPermitted(NotPermitted, ExternalTrainingError):
    """The actor may not decide or register this training: a NotPermitted the pages show as a message."""


def check_hours(hours) -> Decimal:
    try:
        hours = Decimal(str(hours))
    except InvalidOperation as exc:
        raise ExternalTrainingError(_("Hours must be a number such as 12 or 1.5.")) from exc
    if hours <= 0 or hours > MAX_HOURS or hours.as_tuple().exponent < -1:
        raise ExternalTrainingError(_("Hours must be more than 0 and at most 500, with at most one decimal place."))
    return hours


def submit(teacher, *, title, organiser, level, start_date, end_date, hours, category=None, certificate=None):
    """A teacher registers training done elsewhere. `certificate` is a validated assessments.uploads.CleanUpload."""
    if profile_of(teacher).school_id is None:
        raise ExternalTrainingError(_("Only teachers of a school can register training."))
    if end_date < start_date:
        raise ExternalTrainingError(_("The end date is before the start date."))
    if end_date > timezone.localdate():
        raise ExternalTrainingError(_("Register training once it has taken place."))
    record = ExternalTraining(
        teacher=teacher, title=title, organiser=organiser, level=level, start_date=start_date,
        end_date=end_date, hours=check_hours(hours), category=category,
    )
    with transaction.atomic():
        record.save()
        if certificate is not None:
            # The row first: if storing the file fails, the row is rolled back with it.
            record.certificate_content_type = certificate.content_type
            record.certificate.save(certificate.name, certificate.file, save=False)
            record.save(update_fields=["certificate", "certificate_content_type"])
    return record


def _post(record: ExternalTraining, actor) -> None:
    from shixun.transcripts.ledger import post_entry
    from shixun.transcripts.models import SourceKind

    post_entry(
        learner=record.teacher,
        hours=record.hours,
        title=_("%(title)s (%(organiser)s)") % {"title": record.title, "organiser": record.organiser},
        source_kind=SourceKind.EXTERNAL_TRAINING,
        source_ref=record.ledger_source_ref,
        earned_on=record.end_date,
        category_id=record.category_id,
        posted_by=actor,
        via="external_training",
    )


def _locked(record: ExternalTraining) -> ExternalTraining:
    """The record, locked for this transaction (only its own row: the school join may be empty)."""
    return (
        ExternalTraining.objects.select_for_update(of=("self",))
        .select_related("teacher__shixun_profile__school")
        .get(pk=record.pk)
    )


def approve(record: ExternalTraining, approver) -> ExternalTraining:
    """The teacher's school or district admin approves (permissions.can_decide_external_training; SYSTEM skips it)."""
    with transaction.atomic():
        record = _locked(record)
        require(
            approver, lambda user: can_decide(user, record), _("You cannot decide on this teacher's training."),
            error=ExternalTrainingNotPermitted,
        )
        if record.status == ExternalTraining.Status.APPROVED:
            return record  # already done: approving again is harmless
        if record.status != ExternalTraining.Status.SUBMITTED:
            raise ExternalTrainingError(_("This registration has already been decided."))
        record.status = ExternalTraining.Status.APPROVED
        record.decided_by = recorded_person(approver)
        record.decided_at = timezone.now()
        record.save(update_fields=["status", "decided_by", "decided_at"])
        _post(record, record.decided_by)
        notices.external_training_approved(record)
    return record


def reject(record: ExternalTraining, approver, reason: str) -> ExternalTraining:
    reason = (reason or "").strip()
    if not reason:
        raise ExternalTrainingError(_("Give a reason, so the teacher knows what to correct."))
    with transaction.atomic():
        record = _locked(record)
        require(
            approver, lambda user: can_decide(user, record), _("You cannot decide on this teacher's training."),
            error=ExternalTrainingNotPermitted,
        )
        if record.status != ExternalTraining.Status.SUBMITTED:
            raise ExternalTrainingError(_("This registration has already been decided."))
        record.status = ExternalTraining.Status.REJECTED
        record.decided_by = recorded_person(approver)
        record.decided_at = timezone.now()
        record.rejection_reason = reason
        record.save(update_fields=["status", "decided_by", "decided_at", "rejection_reason"])
        notices.external_training_returned(record)
    return record


# --- Group credit ----------------------------------------------------------------


STAFF_SPLIT = re.compile(r"[\s,;，；、]+")


@dataclass
class GroupResult:
    group: GroupCredit
    teachers: list[User]


def parse_staff_numbers(text: str) -> list[str]:
    """Staff numbers from pasted text or a one-column file: any mix of lines, commas, spaces and 、."""
    seen, numbers = set(), []
    for token in STAFF_SPLIT.split(text or ""):
        token = token.strip().lstrip("\ufeff")
        if token and token not in seen and token not in ("工号", "staff_number"):
            seen.add(token)
            numbers.append(token)
    return numbers


def register_group(admin, district, *, staff_numbers: list[str], title, organiser, level, start_date, end_date,
                   hours, category=None) -> GroupResult:
    """Credit every listed teacher at once, all or nothing.

    Every staff number must belong to a teacher the admin administers (their
    school, or their district for a district admin); otherwise nothing is
    written and the error names every number that failed.
    """
    if not staff_numbers:
        raise ExternalTrainingError(_("List at least one staff number."))
    if end_date < start_date:
        raise ExternalTrainingError(_("The end date is before the start date."))
    hours = check_hours(hours)
    with transaction.atomic():
        people = {
            p.shixun_profile.staff_number: p
            for p in User.objects.select_related("shixun_profile__school").filter(
                shixun_profile__district=district, shixun_profile__staff_number__in=staff_numbers, is_active=True
            )
        }
        unknown = [n for n in staff_numbers if n not in people]
        not_yours = [
            n for n, p in people.items()
            if p.shixun_profile.school is None
            or not (is_system(admin) or can_administer_school(admin, p.shixun_profile.school))
        ]
        if unknown or not_yours:
            problems = []
            if unknown:
                problems.append(_("No teacher with staff number: %(numbers)s.") % {"numbers": "、".join(unknown)})
            if not_yours:
                problems.append(
                    _("Not in a school you administer: %(numbers)s.") % {"numbers": "、".join(sorted(not_yours))}
                )
            # Teachers out of the admin's reach make it a refusal of the actor (still shown as a message).
            error = ExternalTrainingNotPermitted if not_yours else ExternalTrainingError
            raise error(" ".join(problems) + " " + _("Nothing was registered."))
        person = recorded_person(admin)
        group = GroupCredit.objects.create(
            title=title, organiser=organiser, level=level, start_date=start_date, end_date=end_date, hours=hours,
            category=category, district=district, registered_by=person,
        )
        now = timezone.now()
        teachers = [people[n] for n in staff_numbers]
        for teacher in teachers:
            record = ExternalTraining.objects.create(
                teacher=teacher, title=title, organiser=organiser, level=level, start_date=start_date,
                end_date=end_date, hours=hours, category=category, group=group,
                status=ExternalTraining.Status.APPROVED, decided_by=person, decided_at=now,
            )
            _post(record, person)
    return GroupResult(group=group, teachers=teachers)
