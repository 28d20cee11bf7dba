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
from django.db.models import Exists, OuterRef, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from shixun.accounts.actors import recorded_person, require
from shixun.accounts.people import profile_of
from shixun.config.conf import shixun_settings

from .models import AuditAction, CreditAuditEvent, LedgerEntry, SourceKind
from .permissions import can_adjust_credit, can_reverse_credit

logger = logging.getLogger(__name__)


class LedgerError(Exception):
    """A posting or reversal that the rules refuse; the message is for the user."""


@dataclass(frozen=True)
class Posting:
    entry: LedgerEntry
    created: bool


def _hours_error(hours: Decimal, source_kind: str) -> str:
    if hours.as_tuple().exponent < -1:
        return _("Hours can have at most one decimal place.")
    if hours < 0 and source_kind != SourceKind.MANUAL_ADJUSTMENT:
        return _("Only a manual adjustment can have negative hours.")
    return ""


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
    It checks no actor: its callers are the system (posting tasks,
    reconciliation, the demo seed) or services that checked their own rule
    first (schools.offline.approve). People's corrections go through
    post_manual_adjustment and reverse_entry, which check.
    """
    hours = Decimal(hours)
    if source_kind == SourceKind.REVERSAL:
        raise LedgerError(_("Use reverse_entry to reverse an entry."))
    if error := _hours_error(hours, source_kind):
        raise LedgerError(error)
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
        # The learner's school when the entry is posted (see _post_batch on
        # why that stands in for "the school at that time").
        school_id=profile_of(learner).school_id,
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


def postable():
    """Which module completions the ledger may post now: the course's credit policy, applied.

    A completion recorded under "hours per completed module" posts at once.
    One recorded under "hours when the course is passed" (`hours_on_pass`)
    is held: passing the course posts it (certificates.process_course_completion
    through post_held_module_completions, in the transaction that issues the
    certificate). After that, a valid certificate for the course lets the
    module task and reconcile post a held completion too (a module added to
    the course and completed after the pass). A revoked certificate does not:
    revocation is final, so nothing of that course posts again.
    """
    from .models import Certificate

    return Q(hours_on_pass=False) | Exists(
        Certificate.objects.filter(
            learner_id=OuterRef("user_id"), course_id=OuterRef("course_id"), revoked_at__isnull=True
        )
    )


def batch_size() -> int:
    """How many completions one posting transaction may post (the task's own plus the oldest pending)."""
    return max(1, int(shixun_settings.SHIXUN_CREDIT_POSTING_BATCH))


def post_module_completion(completion_id: int, *, via: str = "task", batch: int | None = None) -> Posting | None:
    """Post the hours of one ModuleCompletion, and in the same transaction up to `batch - 1` other pending ones.

    One transaction per entry costs one durable commit (a WAL flush on
    PostgreSQL) per entry, which caps a burst of completions at a few hundred
    entries/s whatever the CPU. So the task for completion X posts X and the
    oldest completions after X that still lack an entry, in one transaction;
    the tasks of those completions then find their entry and return at once.

    Exactly once, whoever runs:
    - every writer of module-completion entries goes through this function
      and holds a row lock (FOR NO KEY UPDATE) on each completion it posts,
      then re-reads which of them still lack an entry before inserting;
    - the task's own completion is locked waiting (it must be posted when the
      task returns), the others with SKIP LOCKED (a sibling batch is posting
      them). The own lock is taken first, while this transaction holds no
      other lock, and the others are never waited for, so two batches cannot
      deadlock;
    - the unique source (kind, reference) stays the last word: if a writer
      that does not lock (post_entry called directly) got there first, the
      batch rolls back and only this task's own completion is posted, the old
      one-entry way.
    SQLite has no row locks but runs write transactions one at a time
    (IMMEDIATE), which gives the same guarantee.

    A completion held by the course's credit policy (see `postable`) is not
    posted, and the batch sweeps none of them.

    Returns the Posting of the task's own completion (created False when it
    was already posted), or None for an unknown id or a held completion.
    """
    from shixun.courses.models import ModuleCompletion

    size = batch_size() if batch is None else max(1, batch)
    existing = LedgerEntry.objects.filter(source_kind=SourceKind.MODULE_COMPLETION, module_completion_id=completion_id)
    already = existing.first()
    if already is not None:
        return Posting(already, False)  # posted by its own earlier run or by a sibling's batch: no transaction
    state = (
        ModuleCompletion.objects.filter(pk=completion_id)
        .annotate(may_post=postable())
        .values_list("may_post", flat=True)
    )
    may_post = state.first()
    if may_post is None:
        # Completions are never deleted (PROTECT); an unknown id is a caller's mistake.
        logger.warning("post_module_completion: no ModuleCompletion %s", completion_id)
        return None
    if not may_post:
        return None  # held by the course's credit policy until the course is passed
    try:
        with transaction.atomic():
            created = _post_batch(completion_id, size - 1, via=via)
    except IntegrityError:
        # A writer outside this protocol posted one of the batch: post our own alone.
        logger.warning("post_module_completion: batch for %s met an existing entry; posting it alone", completion_id)
        return _post_one(completion_id, via=via)
    if completion_id in created:
        return Posting(created[completion_id], True)
    entry = existing.first()
    # None: the certificate that allowed it was revoked meanwhile (held again).
    return Posting(entry, False) if entry is not None else None


def post_pending_module_completions(*, via: str, batch: int | None = None) -> int:
    """Post up to `batch` of the oldest completions that lack an entry, in one transaction. Returns how many."""
    size = batch_size() if batch is None else max(1, batch)
    try:
        with transaction.atomic():
            return len(_post_batch(None, size, via=via))
    except IntegrityError:
        logger.warning("post_pending_module_completions: batch met an existing entry; retry later")
        return 0


def post_module_completions_from(first_id: int, *, via: str, batch: int | None = None) -> int:
    """Post `first_id`, then every completion after it that was committed before this call and lacks an entry.

    The coalesced posting task (transcripts.posting): one task stands for
    every completion committed while it waited in the queue, all of them with
    ids from `first_id` up (a completion below it enqueues its own task).
    The highest id is read first, so the sweep ends even while completions
    keep arriving: those committed after this read have set the "posting due"
    flag again and have a task of their own. `first_id` is posted as its own
    task would (alone: locked waiting, its error reported); the rest in
    batches of `batch_size()` under the same protocol as a task's batch.
    Returns how many entries this call created.
    """
    from django.db.models import Max

    from shixun.courses.models import ModuleCompletion

    size = batch_size() if batch is None else max(1, batch)
    last_id = ModuleCompletion.objects.aggregate(last=Max("pk"))["last"] or first_id
    try:
        own = post_module_completion(first_id, via=via, batch=1)
    except LedgerError:
        # Its hours are refused: reported as its own task would, after the
        # completions that relied on this task are posted all the same.
        _sweep(first_id, last_id, size, via=via)
        raise
    return int(bool(own and own.created)) + _sweep(first_id, last_id, size, via=via)


def _sweep(after: int, last_id: int, size: int, *, via: str) -> int:
    """Post every pending completion with an id in (after, last_id], `size` a transaction. Returns how many."""
    posted = 0
    while after < last_id:
        try:
            with transaction.atomic():
                swept, created = _post_range(after, last_id, size, via=via)
        except IntegrityError:
            logger.warning("post_module_completions_from: batch met an existing entry; left to reconcile")
            break
        if swept is None:
            break
        posted += len(created)
        # Past every completion this batch locked, posted or not: one with an
        # hours error stays pending and must not be swept again.
        after = swept
    return posted


def _post_range(after: int, last_id: int, size: int, *, via: str) -> tuple[int | None, dict[int, LedgerEntry]]:
    """Lock, re-check and post up to `size` pending completions with ids in (after, last_id]. Inside atomic().

    Returns the highest id it locked (None when it found none) and the entries it created.
    """
    locked = list(_pending_locked(after, size, up_to=last_id))
    if not locked:
        return None, {}
    return max(locked), _post_locked(locked, None, via=via)


def _pending_locked(after: int | None, limit: int, *, up_to: int | None = None):
    """The oldest `limit` postable completions lacking an entry, ids in (after, up_to]; locked, skipping locked."""
    from shixun.courses.models import ModuleCompletion

    pending = ModuleCompletion.objects.filter(
        postable(), ~Exists(LedgerEntry.objects.filter(module_completion_id=OuterRef("pk")))
    )
    if after is not None:
        pending = pending.filter(pk__gt=after)
    if up_to is not None:
        pending = pending.filter(pk__lte=up_to)
    return pending.order_by("pk").select_for_update(no_key=True, skip_locked=True).values_list("pk", flat=True)[:limit]


def _post_batch(own_id: int | None, others: int, *, via: str) -> dict[int, LedgerEntry]:
    """Lock, re-check and post `own_id` (if given) plus up to `others` pending completions. Inside atomic()."""
    from shixun.courses.models import ModuleCompletion

    locked: list[int] = []
    if own_id is not None:
        # Waits while a sibling batch holds it; holding no other lock yet, so no deadlock.
        locked += ModuleCompletion.objects.select_for_update(no_key=True).filter(pk=own_id).values_list("pk", flat=True)
    if others > 0:
        # A task sweeps the completions after its own (the ones whose tasks
        # queue behind it), so its scan starts at its own id instead of
        # walking every completion ever posted; older stragglers are left
        # to their own tasks and to reconcile, which scans from the start.
        locked += _pending_locked(own_id, others)
    if not locked:
        return {}
    return _post_locked(locked, own_id, via=via)


def _post_locked(locked: list[int], own_id: int | None, *, via: str) -> dict[int, LedgerEntry]:
    """Post those of the `locked` completions still without an entry and still postable. Inside atomic()."""
    from shixun.courses.models import ModuleCompletion

    # A fresh read after the locks: a completion that a sibling posted and
    # committed after our pending query's snapshot is dropped here.
    posted = set(
        LedgerEntry.objects.filter(module_completion_id__in=locked).values_list("module_completion_id", flat=True)
    )
    to_post = sorted(set(locked) - posted)
    # The policy re-checked after the locks too (a certificate revoked meanwhile holds them again).
    return _insert_entries(ModuleCompletion.objects.filter(postable(), pk__in=to_post), own_id, via=via)


def _insert_entries(completions, own_id: int | None, *, via: str) -> dict[int, LedgerEntry]:
    """Insert one entry per completion of `completions` (locked by the caller, none posted yet), with audit events."""
    rows = completions.order_by("pk").values_list(
        "pk",
        "user_id",
        # "The learner's school at that time" should be the school at
        # completion, but courses' ModuleCompletion records no school, so
        # this is the school at posting. The two differ only when a
        # completion's task is lost and reconcile posts it after the
        # teacher has moved school (minutes, at most the reconcile
        # interval, in normal operation). Decided, not overlooked: if
        # ModuleCompletion ever gains a school, read it here instead.
        "user__shixun_profile__school_id",
        "credit_hours",
        "completed_at",
        "course_id",
        "course__title",
        "course__category_id",
        "module__title",
    )
    entries = []
    for pk, user_id, school_id, hours, completed_at, course_id, course_title, category_id, module_title in rows:
        if _hours_error(hours, SourceKind.MODULE_COMPLETION) and pk != own_id:
            continue  # left for its own task, which reports the error
        entries.append(
            LedgerEntry(
                learner_id=user_id,
                hours=hours,
                title=f"{course_title} · {module_title}"[:255],
                category_id=category_id,
                course_id=course_id,
                source_kind=SourceKind.MODULE_COMPLETION,
                source_ref=str(pk),
                module_completion_id=pk,
                earned_on=timezone.localdate(completed_at),
                school_id=school_id,
            )
        )
    own_error = next((_hours_error(e.hours, e.source_kind) for e in entries if e.module_completion_id == own_id), None)
    if own_error:
        raise LedgerError(own_error)
    # Ascending completion order: concurrent inserts meet the unique index in
    # the same order, so they cannot deadlock there either. The returned ids
    # are those of the rows this statement inserted (no ignore_conflicts: a
    # conflict aborts the batch rather than hiding which rows are ours).
    created = LedgerEntry.objects.bulk_create(entries, batch_size=500)
    CreditAuditEvent.objects.bulk_create(
        [
            CreditAuditEvent(
                action=AuditAction.POSTED,
                entry=entry,
                actor=None,
                via=via,
                detail=f"{entry.source_kind}:{entry.source_ref} {entry.hours} h",
            )
            for entry in created
        ],
        batch_size=500,
    )
    return {entry.module_completion_id: entry for entry in created}


def _post_one(completion_id: int, *, via: str) -> Posting | None:
    from shixun.courses.models import ModuleCompletion

    completion = (
        ModuleCompletion.objects.select_related("user", "module", "course").filter(postable(), pk=completion_id).first()
    )
    if completion is None:
        return None  # unknown, or held by the course's credit policy
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
    """Completions the ledger owes an entry now: no entry, and not held by their course's credit policy."""
    from shixun.courses.models import ModuleCompletion

    return ModuleCompletion.objects.filter(postable(), ledger_entry__isnull=True).order_by("pk")


def held_module_completions():
    """Completions waiting for their course to be passed ("hours when the course is passed"): no entry yet."""
    from shixun.courses.models import ModuleCompletion

    return ModuleCompletion.objects.filter(hours_on_pass=True, ledger_entry__isnull=True)


def post_held_module_completions(learner_id: int, course_id: int, *, via: str) -> list[LedgerEntry]:
    """The learner passed the course: post its module completions held for the pass. Idempotent.

    Called by certificates.process_course_completion inside the transaction
    that issues the certificate, with the course completion locked, so the
    hours and the certificate are committed together or not at all. The
    held completions are locked waiting, in id order (a module task holding
    one finds it held and returns without taking another lock, so this
    cannot deadlock), then re-read for entries a concurrent release
    committed meanwhile; the unique source is the last word.

    The entries are dated like per-module ones, on the day each module was
    completed (when the training was done), not on the day of the pass;
    the award is dated on the course's completion, as before.
    """
    from shixun.courses.models import ModuleCompletion

    with transaction.atomic():
        locked = list(
            ModuleCompletion.objects.select_for_update(no_key=True)
            .filter(user_id=learner_id, course_id=course_id, hours_on_pass=True)
            .order_by("pk")
            .values_list("pk", flat=True)
        )
        if not locked:
            return []
        posted = set(
            LedgerEntry.objects.filter(module_completion_id__in=locked).values_list("module_completion_id", flat=True)
        )
        to_post = [pk for pk in locked if pk not in posted]
        if not to_post:
            return []
        created = _insert_entries(ModuleCompletion.objects.filter(pk__in=to_post), None, via=via)
    return list(created.values())


def reconcile(*, via: str = "reconcile") -> int:
    """Post every module completion that has no entry yet (a task lost to a crash). Returns how many.

    Batch by batch until a batch finds nothing: completions another worker is
    posting right now are skipped (locked) and left to it. Completions held
    by their course's credit policy ("hours when the course is passed") are
    not posted: passing the course posts them (see `postable`).
    """
    posted = 0
    while True:
        count = post_pending_module_completions(via=via)
        if not count:
            break
        posted += count
    if posted:
        logger.info("reconcile: posted %s missing module completion(s)", posted)
    return posted


MANUAL_REF_PREFIX = "manual:"


def _person(actor, message: str):
    """The person a manual entry or reversal is recorded under; the ledger refuses one without."""
    person = recorded_person(actor)
    if person is None or not person.is_authenticated:
        raise LedgerError(message)
    return person


def post_manual_adjustment(
    *, learner, hours: Decimal, title: str, reason: str, earned_on, category_id=None, actor, request_key: str
) -> Posting:
    """A district admin's manual credit (e.g. hours proven on paper). Positive hours only, reason and actor required.

    `actor` must be allowed to adjust the learner's credit
    (permissions.can_adjust_credit), else NotPermitted and nothing is
    written. A system caller passes accounts.actors.acting_for(person): the
    ledger always names a person for a manual entry.

    `request_key` is the form's one-time key: a double-clicked or resent
    form posts the same key and gets the first entry back instead of a
    second one. A wrong adjustment is corrected by reversing it.
    """
    import uuid

    try:
        key = uuid.UUID(str(request_key)).hex
    except ValueError as error:
        raise LedgerError(_("This form has expired. Open it again and re-enter the adjustment.")) from error
    hours = Decimal(hours)
    if hours <= 0:
        raise LedgerError(_("A manual adjustment adds hours: enter more than 0. To take hours back, reverse an entry."))
    if earned_on > timezone.localdate():
        raise LedgerError(_("The date earned cannot be in the future."))
    person = _person(actor, _("A manual adjustment needs the person who makes it."))
    require(
        actor, lambda user: can_adjust_credit(user, learner), _("You cannot add hours to this teacher's transcript.")
    )
    posting = post_entry(
        learner=learner,
        hours=hours,
        title=title.strip(),
        source_kind=SourceKind.MANUAL_ADJUSTMENT,
        source_ref=MANUAL_REF_PREFIX + key,
        earned_on=earned_on,
        category_id=category_id,
        posted_by=person,
        via="admin",
        reason=reason.strip(),
    )
    if posting.entry.learner_id != learner.pk:
        # The key belongs to another person's adjustment: never attach it here.
        raise LedgerError(_("This form has expired. Open it again and re-enter the adjustment."))
    return posting


def reverse_entry(entry: LedgerEntry, *, reason: str, actor) -> LedgerEntry:
    """Cancel an entry by posting its opposite. At most one reversal per entry; a reversal is final.

    The reversal is dated like the entry it reverses, so the hours leave the
    same period they were counted in. Certificates resting on the entry's
    course are revoked in the same transaction.

    `actor` must be allowed to reverse the learner's credit
    (permissions.can_reverse_credit), else NotPermitted and nothing is
    written. A reversal always names a person (database constraint): a
    caller whose own rule allowed it (a grade change voiding a certificate)
    passes accounts.actors.acting_for(person).
    """
    from .certificates import revoke_certificates_for_entry

    if not reason or not reason.strip():
        raise LedgerError(_("Give a reason for the reversal."))
    person = _person(actor, _("A reversal needs the person who makes it."))
    require(actor, lambda user: can_reverse_credit(user, entry.learner), _("You cannot reverse this teacher's credit."))
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
                posted_by=person,
                reason=reason.strip(),
            )
            CreditAuditEvent.objects.create(
                action=AuditAction.REVERSED,
                entry=reversal,
                actor=person,
                via="admin",
                detail=f"reverses entry {entry.pk}: {reason.strip()}",
            )
            revoke_certificates_for_entry(entry, reason=reason.strip(), actor=person)
    except IntegrityError as error:
        if LedgerEntry.objects.filter(reverses=entry).exists():
            raise LedgerError(_("This entry has already been reversed.")) from error
        raise
    return reversal
