"""xAPI statements in, activity results and module progress out.

The rules, in one place:

- The learner is the one of the session (passed in by the view). A
  statement's own "actor" is ignored and not stored: the player runs
  untrusted code and could name anyone.
- A statement must be a JSON object of at most 16 KB with a verb (with an
  IRI id), an object (with an IRI id) and, if present, a well-typed result.
  Anything else is refused with a message; nothing is stored.
- Each statement is stored once per learner and activity: its "id" (a UUID)
  when it has one, else a hash of its content, is a unique key, so a replay
  changes nothing.
- Only statements about the activity itself count toward its result, not
  those of its sub-contents (object ids with "subContentId"), as in H5P's
  own result handling.
- The result is derived from all stored statements each time (best scaled
  score, completed, passed), so it is the same however often or in whatever
  order statements arrive. "passed" needs a scaled score at or above the
  activity's pass mark and a result that is not marked failed: a "failed"
  statement never passes, whatever its score.
"""

from __future__ import annotations

import hashlib
import json
import uuid
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from django.db import IntegrityError, transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext

from courses.models import ActivityStatus, ModulePage
from courses.progress import record_activity_status

from .models import CompletionRule, H5PActivity, H5PContent, H5PResult, H5PStatement

MAX_STATEMENT_BYTES = 16 * 1024
MAX_IRI_LENGTH = 300

VERB_PREFIX = "http://adlnet.gov/expapi/verbs/"
COMPLETION_VERBS = frozenset(VERB_PREFIX + verb for verb in ("completed", "passed", "failed"))
ANSWERED = VERB_PREFIX + "answered"
FAILED = VERB_PREFIX + "failed"


class StatementRefused(Exception):
    def __init__(self, code: str, message: str):
        super().__init__(message)
        self.code = code
        self.message = message


@dataclass(frozen=True)
class ParsedStatement:
    statement: dict
    dedupe_key: str
    verb: str
    object_id: str
    scaled: Decimal | None
    raw: Decimal | None
    maximum: Decimal | None
    success: bool | None
    completion: bool | None

    @property
    def is_root(self) -> bool:
        return "subContentId=" not in self.object_id


def _refuse(code: str, message: str) -> StatementRefused:
    return StatementRefused(code, message)


def _number(value, field: str) -> Decimal | None:
    if value is None:
        return None
    not_a_number = _refuse(
        "bad_result", gettext("The statement's score field “%(field)s” is not a number.") % {"field": field}
    )
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise not_a_number
    try:
        number = Decimal(str(value))
    except InvalidOperation as exc:
        raise not_a_number from exc
    if not number.is_finite() or abs(number) > Decimal("1e9"):
        raise _refuse("bad_result", gettext("The statement's score field “%(field)s” is out of range.")
                      % {"field": field})
    return number


def _iri(container, name: str) -> str:
    if not isinstance(container, dict):
        raise _refuse("bad_shape", gettext("The statement has no valid “%(field)s”.") % {"field": name})
    value = container.get("id")
    if not isinstance(value, str) or not value or len(value) > MAX_IRI_LENGTH or ":" not in value:
        raise _refuse("bad_shape", gettext("The statement's “%(field)s” has no valid id.") % {"field": name})
    return value


def parse_statement(statement) -> ParsedStatement:
    """Check a statement's shape and size; return what the result rules need."""
    if not isinstance(statement, dict):
        raise _refuse("bad_shape", gettext("The statement is not a JSON object."))
    statement = {key: value for key, value in statement.items() if key != "actor"}
    canonical = json.dumps(statement, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    if len(canonical.encode("utf-8")) > MAX_STATEMENT_BYTES:
        raise _refuse("too_large", gettext("The statement is larger than 16 KB."))
    verb = _iri(statement.get("verb"), "verb")
    object_id = _iri(statement.get("object"), "object")

    result = statement.get("result", {})
    if not isinstance(result, dict):
        raise _refuse("bad_result", gettext("The statement's “result” is not an object."))
    score = result.get("score", {})
    if not isinstance(score, dict):
        raise _refuse("bad_result", gettext("The statement's score is not an object."))
    scaled = _number(score.get("scaled"), "scaled")
    raw = _number(score.get("raw"), "raw")
    minimum = _number(score.get("min"), "min")
    maximum = _number(score.get("max"), "max")
    if scaled is not None and not Decimal("-1") <= scaled <= Decimal("1"):
        raise _refuse("bad_result", gettext("The statement's scaled score is outside −1 to 1."))
    if raw is not None and maximum is not None and (raw > maximum or (minimum is not None and raw < minimum)):
        raise _refuse("bad_result", gettext("The statement's raw score is outside its minimum and maximum."))
    if scaled is None and raw is not None and maximum:
        scaled = (raw - (minimum or 0)) / (maximum - (minimum or 0)) if maximum != (minimum or 0) else None
    for flag in ("success", "completion"):
        if flag in result and not isinstance(result[flag], bool):
            raise _refuse("bad_result", gettext("The statement's “%(field)s” is not true or false.") % {"field": flag})

    statement_id = statement.get("id")
    if statement_id is not None:
        try:
            dedupe_key = "id:" + str(uuid.UUID(str(statement_id)))
        except ValueError as exc:
            raise _refuse("bad_shape", gettext("The statement's id is not a UUID.")) from exc
    else:
        dedupe_key = hashlib.sha256(canonical.encode("utf-8")).hexdigest()

    return ParsedStatement(
        statement=statement,
        dedupe_key=dedupe_key,
        verb=verb,
        object_id=object_id,
        scaled=scaled.quantize(Decimal("0.0001")) if scaled is not None else None,
        raw=raw,
        maximum=maximum,
        success=result.get("success"),
        completion=result.get("completion"),
    )


@dataclass(frozen=True)
class Recorded:
    stored: bool  # False when the statement was a duplicate
    result: H5PResult
    status: str


def record_statement(
    user, activity: H5PActivity, module: ModulePage, content: H5PContent | None, parsed: ParsedStatement
) -> Recorded:
    """Store one statement (once), re-derive the learner's result and report it to the module.

    Raises courses.progress.NotEnrolled when the learner is not (or no
    longer) enrolled; then nothing is stored.
    """
    with transaction.atomic():
        try:
            with transaction.atomic():
                H5PStatement.objects.create(
                    user=user,
                    activity=activity,
                    content=content,
                    module=module,
                    dedupe_key=parsed.dedupe_key,
                    verb=parsed.verb[:300],
                    scaled_score=parsed.scaled,
                    raw_score=parsed.raw,
                    max_score=parsed.maximum,
                    success=parsed.success,
                    completion=parsed.completion,
                    statement=parsed.statement,
                )
            stored = True
        except IntegrityError:
            stored = False  # already have it: a replay or a double post
        result = derive_result(user, activity)
        status = activity_status(activity, result)
        score = result.best_percent
        record_activity_status(user, module, activity.activity_key, status, score=score)
    return Recorded(stored=stored, result=result, status=status)


def derive_result(user, activity: H5PActivity) -> H5PResult:
    """Recompute a learner's result on an activity from their stored statements."""
    result, _ = H5PResult.objects.select_for_update().get_or_create(user=user, activity=activity)
    statements = [
        s for s in H5PStatement.objects.filter(user=user, activity=activity).only(
            "verb", "scaled_score", "success", "completion", "received_at", "statement"
        )
        if "subContentId=" not in str((s.statement.get("object") or {}).get("id", ""))
    ]
    scores = [s.scaled_score for s in statements if s.scaled_score is not None]
    threshold = activity.pass_mark / Decimal(100)
    finishing = [s for s in statements if s.verb in COMPLETION_VERBS]
    answered = [s for s in statements if s.verb == ANSWERED]

    result.best_scaled_score = max(scores) if scores else None
    result.completed = any(s.verb in COMPLETION_VERBS or s.completion is True for s in statements)
    result.passed = any(
        s.scaled_score is not None
        and s.scaled_score >= threshold
        and s.success is not False
        and s.verb != FAILED
        for s in statements
    )
    result.attempts = len(finishing) or len(answered)
    result.last_activity_at = (
        H5PStatement.objects.filter(user=user, activity=activity).aggregate(last=Max("received_at"))["last"]
        or timezone.now()
    )
    result.save()
    return result


def rule_satisfied(activity: H5PActivity, result: H5PResult) -> bool:
    if activity.completion_rule == CompletionRule.PASSED:
        return result.passed
    return result.completed


def activity_status(activity: H5PActivity, result: H5PResult) -> str:
    if rule_satisfied(activity, result):
        # A practice activity's result is recorded but never completes a module.
        return ActivityStatus.DONE if activity.score_may_complete else ActivityStatus.IN_PROGRESS
    if activity.completion_rule == CompletionRule.PASSED and result.completed:
        return ActivityStatus.FAILED
    return ActivityStatus.IN_PROGRESS
