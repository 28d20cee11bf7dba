"""Posting to and reversing in the credit ledger: the only code that writes ledger rows.

Every posting is idempotent: the (source kind, source reference) pair is
unique in the database, so a duplicate task, a retried request or a second
worker inserting the same source loses the race at the constraint and gets the
existing entry back. On PostgreSQL the loser's INSERT waits for the winner's
transaction and then fails; we then read the winner's row.
"""

import logging
from dataclasses import dataclass
from decimal import Decimal

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from .models import AuditAction, CreditAuditEvent, LedgerEntry, SourceKind

logger = logging.getLogger(__name__)


class LedgerError(Exception):
    """A posting or reversal that the rules refuse; the message is for the user."""


@dataclass(frozen=True)
class Posting:
    entry: LedgerEntry
    created: bool


def post_entry(
    *,
    learner,
    hours: Decimal,
    title: str,
    source_kind: str,
    source_ref: str,
    earned_on,
    category_id=None,
    course_id=None,
    module_completion_id=None,
    course_completion_id=None,
    posted_by=None,
    via: str = "service",
    reason: str = "",
) -> Posting:
    """Post one entry unless its source already has one. Returns the entry and whether it is new.

    This is the service other apps call (e.g. approved external training:
    source_kind=SourceKind.EXTERNAL_TRAINING, source_ref=str(record.pk)).
    """
    hours = Decimal(hours)
    if source_kind == SourceKind.REVERSAL:
        raise LedgerError(_("Use reverse_entry to reverse an entry."))
    if hours.as_tuple().exponent < -1:
        raise LedgerError(_("Hours can have at most one decimal place."))
    if hours < 0 and source_kind != SourceKind.MANUAL_ADJUSTMENT:
        raise LedgerError(_("Only a manual adjustment can have negative hours."))
    if source_kind == SourceKind.MANUAL_ADJUSTMENT and not reason.strip():
        raise LedgerError(_("A manual adjustment needs a reason."))
    fields = dict(
        learner_id=learner.pk,
        hours=hours,
        title=title[:255],
        category_id=category_id,
        course_id=course_id,
        module_completion_id=module_completion_id,
        course_completion_id=course_completion_id,
        earned_on=earned_on,
        school_id=learner.school_id,
        posted_by=posted_by,
        reason=reason,
    )
    try:
        with transaction.atomic():
            entry = LedgerEntry.objects.create(source_kind=source_kind, source_ref=source_ref, **fields)
            CreditAuditEvent.objects.create(
                action=AuditAction.POSTED,
                entry=entry,
                actor=posted_by,
                via=via,
                detail=f"{source_kind}:{source_ref} {hours} h",
            )
    except IntegrityError:
        existing = LedgerEntry.objects.filter(source_kind=source_kind, source_ref=source_ref).first()
        if existing is None:
            raise
        return Posting(existing, False)
    return Posting(entry, True)


def post_module_completion(completion_id: int, *, via: str = "task") -> Posting | None:
    """Post the hours of one ModuleCompletion (what the module was worth when it was completed)."""
    from courses.models import ModuleCompletion

    completion = ModuleCompletion.objects.select_related("user", "module", "course").filter(pk=completion_id).first()
    if completion is None:
        # Completions are never deleted (PROTECT); an unknown id is a caller's mistake.
        logger.warning("post_module_completion: no ModuleCompletion %s", completion_id)
        return None
    return post_entry(
        learner=completion.user,
        hours=completion.credit_hours,
        title=f"{completion.course.title} · {completion.module.title}",
        source_kind=SourceKind.MODULE_COMPLETION,
        source_ref=str(completion.pk),
        earned_on=timezone.localdate(completion.completed_at),
        category_id=completion.course.category_id,
        course_id=completion.course_id,
        module_completion_id=completion.pk,
        via=via,
    )


def unposted_module_completions():
    from courses.models import ModuleCompletion

    return ModuleCompletion.objects.filter(ledger_entry__isnull=True).order_by("pk")


def reconcile(*, via: str = "reconcile") -> int:
    """Post every module completion that has no entry yet (a task lost to a crash). Returns how many."""
    posted = 0
    for completion_id in unposted_module_completions().values_list("pk", flat=True).iterator(chunk_size=500):
        result = post_module_completion(completion_id, via=via)
        posted += bool(result and result.created)
    if posted:
        logger.info("reconcile: posted %s missing module completion(s)", posted)
    return posted


def reverse_entry(entry: LedgerEntry, *, reason: str, actor) -> LedgerEntry:
    """Cancel an entry by posting its opposite. At most one reversal per entry; a reversal is final.

    The reversal is dated like the entry it reverses, so the hours leave the
    same period they were counted in. Certificates resting on the entry's
    course are revoked in the same transaction.
    """
    from .certificates import revoke_certificates_for_entry

    if not reason or not reason.strip():
        raise LedgerError(_("Give a reason for the reversal."))
    if actor is None or not actor.is_authenticated:
        raise LedgerError(_("A reversal needs the person who makes it."))
    if entry.source_kind == SourceKind.REVERSAL:
        raise LedgerError(_("A reversal cannot itself be reversed; post a manual adjustment instead."))
    try:
        with transaction.atomic():
            reversal = LedgerEntry.objects.create(
                learner_id=entry.learner_id,
                hours=-entry.hours,
                title=entry.title,
                category_id=entry.category_id,
                course_id=entry.course_id,
                source_kind=SourceKind.REVERSAL,
                source_ref=str(entry.pk),
                reverses=entry,
                earned_on=entry.earned_on,
                school_id=entry.school_id,
                posted_by=actor,
                reason=reason.strip(),
            )
            CreditAuditEvent.objects.create(
                action=AuditAction.REVERSED,
                entry=reversal,
                actor=actor,
                via="admin",
                detail=f"reverses entry {entry.pk}: {reason.strip()}",
            )
            revoke_certificates_for_entry(entry, reason=reason.strip(), actor=actor)
    except IntegrityError as error:
        if LedgerEntry.objects.filter(reverses=entry).exists():
            raise LedgerError(_("This entry has already been reversed.")) from error
        raise
    return reversal
