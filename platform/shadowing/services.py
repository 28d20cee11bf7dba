"""Every change to a shadowing programme: one function per action, actor checked, nothing written on bad input.

Each function checks the actor (permissions.py) first, then the rules
(rules.py), and writes inside one transaction. A refusal is a
ShadowingError (or ShadowingNotPermitted) whose message is for the user.
Records that count against a limit (observations per day and in all) are
added under a lock on the participation row, so two tabs cannot both add
the 3rd observation of a day.
"""

from __future__ import annotations

from collections import defaultdict
from decimal import Decimal, InvalidOperation

from django.db import transaction
from django.db.models import Count, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from shixun.accounts.actors import NotPermitted, recorded_person, require
from shixun.accounts.people import profile_of
from shixun.config.conf import shixun_settings
from shixun.inbox import notices

from . import permissions as perm
from . import rules
from .models import (
    Activity,
    Attendance,
    BaseSchool,
    JournalDay,
    Leave,
    Observation,
    Participant,
    Place,
    Programme,
    TaughtLesson,
    Writing,
)

LEDGER_VIA = "shadowing"


class ShadowingError(Exception):
    def __init__(self, message):
        super().__init__(message)
        self.message = message


class ShadowingNotPermitted(NotPermitted, ShadowingError):
    pass


def _require(actor, allowed, message):
    require(actor, allowed, message, error=ShadowingNotPermitted)


def _text(value, *, field_label, min_chars=1) -> str:
    value = (value or "").strip()
    if len(value) < min_chars:
        if min_chars <= 1:
            raise ShadowingError(_("%(field)s cannot be empty.") % {"field": field_label})
        raise ShadowingError(
            _("%(field)s needs at least %(min)s characters; it has %(n)s.")
            % {"field": field_label, "min": min_chars, "n": len(value)}
        )
    return value


def _locked_open(participant) -> Participant:
    """The participant's row, locked for the rest of the transaction, once its programme is known to be open.

    Every change to a teacher's records starts here, inside its transaction: the lock makes two tabs'
    writes to the same teacher's records take turns, and nothing changes once the programme is closed.
    """
    participant = Participant.objects.select_for_update(of=("self",)).select_related(
        "programme", "base_school"
    ).get(pk=participant.pk)
    if participant.programme.is_closed:
        raise ShadowingError(_("The programme is closed: its records can no longer be changed."))
    return participant


def _day(participant, day) -> None:
    if error := rules.record_day_error(participant.programme, day):
        raise ShadowingError(error)


def _upload(file, kinds):
    """A validated upload (assessments.uploads) or None; a refused file is a ShadowingError."""
    from shixun.assessments.uploads import UploadRefused, validate_upload

    if not file:
        return None
    try:
        return validate_upload(
            file, allowed_kinds=kinds, max_bytes=int(shixun_settings.SHIXUN_SHADOWING_MAX_UPLOAD_MB) * 1024 * 1024
        )
    except UploadRefused as refusal:
        raise ShadowingError(refusal.message) from refusal


# --- Setting up: nominations and placements ----------------------------------------------


def nominate(actor, programme, *, teacher, school, stage, subject, birth_date) -> Participant:
    """A school nominates one of its teachers, within its quota per stage and the age limit."""
    _require(actor, lambda u: perm.can_nominate(u, programme, school), _("You cannot nominate for this school."))
    if programme.is_closed:
        raise ShadowingError(_("The programme is closed: nominations are over."))
    if profile_of(teacher).school_id != school.pk:
        raise ShadowingError(_("Only a teacher of the nominating school can be nominated."))
    if programme.subjects.exists() and not programme.subjects.filter(pk=subject.pk).exists():
        raise ShadowingError(_("This programme has no places for %(subject)s.") % {"subject": subject})
    if error := rules.age_error(programme, birth_date):
        raise ShadowingError(error)
    with transaction.atomic():
        Programme.objects.select_for_update().get(pk=programme.pk)  # one nomination at a time per programme
        if Participant.objects.filter(programme=programme, teacher=teacher).exists():
            raise ShadowingError(_("This teacher is already nominated."))
        used = Participant.objects.filter(programme=programme, nominating_school=school, stage=stage).count()
        if used >= programme.quota_per_school_stage:
            raise ShadowingError(
                _("Your school has used its %(n)s nomination(s) for this stage.")
                % {"n": programme.quota_per_school_stage}
            )
        return Participant.objects.create(
            programme=programme, teacher=teacher, nominating_school=school, stage=stage, subject=subject,
            birth_date=birth_date, nominated_by=recorded_person(actor),
        )


def assign_mentor(actor, participant, base_school, mentor) -> Participant:
    """The base school places a nominated teacher and names the mentor (within its places for the subject)."""
    _require(actor, lambda u: perm.can_place(u, base_school), _("You cannot place teachers at this base school."))
    if base_school.programme_id != participant.programme_id:
        raise ShadowingError(_("This base school is not part of the teacher's programme."))
    if profile_of(mentor).school_id != base_school.school_id:
        raise ShadowingError(_("The mentor must be a teacher of the base school."))
    if mentor.pk == participant.teacher_id:
        raise ShadowingError(_("A teacher cannot be their own mentor."))
    with transaction.atomic():
        participant = _locked_open(participant)
        if participant.base_school_id != base_school.pk:
            place = Place.objects.filter(base_school=base_school, subject_id=participant.subject_id).first()
            taken = Participant.objects.filter(base_school=base_school, subject_id=participant.subject_id).count()
            if place is None or taken >= place.places:
                raise ShadowingError(_("The base school has no free place for this subject."))
        participant.base_school = base_school
        participant.mentor = mentor
        participant.save(update_fields=["base_school", "mentor"])
    return participant


# --- The visiting teacher's records ----------------------------------------------------------


def _as_teacher(actor, participant):
    _require(actor, lambda u: perm.can_record(u, participant), _("Only the visiting teacher can change these records."))


def save_journal(actor, participant, *, day, text) -> JournalDay:
    _as_teacher(actor, participant)
    text = _text(text, field_label=_("The journal"), min_chars=participant.programme.journal_min_chars)
    with transaction.atomic():
        participant = _locked_open(participant)
        _day(participant, day)
        entry, _created = JournalDay.objects.update_or_create(participant=participant, day=day, defaults={"text": text})
    return entry


def add_observation(actor, participant, *, day, class_name, subject, observed_teacher, notes, photo=None):
    from shixun.assessments.uploads import FileKind

    _as_teacher(actor, participant)
    fields = {
        "class_name": _text(class_name, field_label=_("The class")),
        "subject": _text(subject, field_label=_("The subject")),
        "observed_teacher": _text(observed_teacher, field_label=_("The teacher observed")),
        "notes": _text(notes, field_label=_("The notes")),
    }
    clean = _upload(photo, [FileKind.IMAGE])
    try:
        with transaction.atomic():
            participant = _locked_open(participant)
            _day(participant, day)
            existing = Observation.objects.filter(participant=participant)
            if error := rules.observation_error(
                participant.programme, existing.filter(day=day).count(), existing.count()
            ):
                raise ShadowingError(error)
            record = Observation(participant=participant, day=day, **fields)
            if clean is not None:
                record.photo_content_type = clean.content_type
                record.photo.save(clean.name, clean.file, save=False)
            record.save()
    finally:
        if clean is not None:
            clean.close()
    return record


def add_lesson(actor, participant, *, day, class_name, topic, is_report_lesson=False, lesson_plan=None):
    from shixun.assessments.uploads import FileKind

    _as_teacher(actor, participant)
    fields = {
        "class_name": _text(class_name, field_label=_("The class")),
        "topic": _text(topic, field_label=_("The topic")),
        "is_report_lesson": bool(is_report_lesson),
    }
    clean = _upload(lesson_plan, [FileKind.WORD, FileKind.PDF, FileKind.POWERPOINT])
    try:
        with transaction.atomic():
            participant = _locked_open(participant)
            _day(participant, day)
            record = TaughtLesson(participant=participant, day=day, **fields)
            if clean is not None:
                record.lesson_plan_content_type = clean.content_type
                record.lesson_plan.save(clean.name, clean.file, save=False)
            record.save()
    finally:
        if clean is not None:
            clean.close()
    return record


def add_activity(actor, participant, *, day, kind, description) -> Activity:
    _as_teacher(actor, participant)
    if kind not in Activity.Kind.values:
        raise ShadowingError(_("Choose the kind of activity."))
    description = _text(description, field_label=_("The description"))
    with transaction.atomic():
        participant = _locked_open(participant)
        _day(participant, day)
        return Activity.objects.create(participant=participant, day=day, kind=kind, description=description)


def save_writing(actor, participant, *, kind, title, text) -> Writing:
    """A reflection (added) or the research report (one, replaced until the due date)."""
    _as_teacher(actor, participant)
    programme = participant.programme
    if kind == Writing.Kind.REFLECTION:
        minimum = programme.reflection_min_chars
    elif kind == Writing.Kind.REPORT:
        minimum = programme.report_min_chars
    else:
        raise ShadowingError(_("Choose reflection or research report."))
    title = _text(title, field_label=_("The title"))
    text = _text(text, field_label=_("The text"), min_chars=minimum)
    today = timezone.localdate()
    with transaction.atomic():
        participant = _locked_open(participant)
        if today < programme.start_date:
            raise ShadowingError(_("The programme has not started yet."))
        if kind == Writing.Kind.REPORT:
            if today > rules.report_due(programme):
                raise ShadowingError(
                    _("The research report was due by %(day)s.") % {"day": rules.report_due(programme).isoformat()}
                )
            writing, _created = Writing.objects.update_or_create(
                participant=participant, kind=kind, defaults={"title": title, "text": text, "submitted_on": today}
            )
            return writing
        if today > programme.end_date:
            raise ShadowingError(_("Reflections are written during the programme."))
        return Writing.objects.create(participant=participant, kind=kind, title=title, text=text, submitted_on=today)


def save_plan(actor, participant, *, text) -> Participant:
    """The visiting teacher's personal study plan (个人研修计划): theirs to revise until the programme closes."""
    _as_teacher(actor, participant)
    text = _text(text, field_label=_("The study plan"), min_chars=20)
    with transaction.atomic():
        participant = _locked_open(participant)
        participant.plan = text
        participant.save(update_fields=["plan"])
    return participant


def request_leave(actor, participant, *, day, reason) -> Leave:
    _as_teacher(actor, participant)
    reason = _text(reason, field_label=_("The reason"))
    with transaction.atomic():
        participant = _locked_open(participant)
        _day(participant, day)
        if Leave.objects.filter(participant=participant, day=day).exists():
            raise ShadowingError(_("You have already asked for leave on this day."))
        return Leave.objects.create(participant=participant, day=day, reason=reason)


# --- The mentor's and the base school's side -------------------------------------------


def _as_mentor(actor, participant):
    _require(actor, lambda u: perm.can_guide(u, participant),
             _("Only this teacher's own mentor can do this."))


def approve_leave(actor, leave) -> Leave:
    """The mentor and the base school each approve; the day is excused once both have."""
    participant = leave.participant
    as_mentor = perm.can_approve_leave_as_mentor(actor, participant)
    as_school = perm.can_approve_leave_as_school(actor, participant)
    _require(actor, lambda u: as_mentor or as_school, _("Only the mentor or the base school can approve leave."))
    with transaction.atomic():
        _locked_open(participant)
        leave = Leave.objects.select_for_update().get(pk=leave.pk)
        person = recorded_person(actor)
        if as_mentor and leave.mentor_approved_by_id is None:
            leave.mentor_approved_by = person
        if as_school and leave.school_approved_by_id is None:
            leave.school_approved_by = person
        leave.save(update_fields=["mentor_approved_by", "school_approved_by"])
        if leave.approved:
            notices.shadowing_leave_approved(leave)
    return leave


def record_attendance(actor, participant, *, day, status) -> Attendance:
    _as_mentor(actor, participant)
    if status not in Attendance.Status.values:
        raise ShadowingError(_("Choose present or absent."))
    with transaction.atomic():
        participant = _locked_open(participant)
        _day(participant, day)
        if day > timezone.localdate():
            raise ShadowingError(_("Attendance is taken on the day, not in advance."))
        row, _created = Attendance.objects.update_or_create(
            participant=participant, day=day,
            defaults={"status": status, "recorded_by": recorded_person(actor), "recorded_at": timezone.now()},
        )
    return row


COMMENTABLE = {
    "journal": JournalDay,
    "observation": Observation,
    "lesson": TaughtLesson,
    "activity": Activity,
    "writing": Writing,
}


def comment(actor, participant, *, kind, record_id, text):
    _as_mentor(actor, participant)
    model = COMMENTABLE.get(kind)
    if model is None:
        raise ShadowingError(_("There is no such record."))
    text = _text(text, field_label=_("The comment"))
    with transaction.atomic():
        participant = _locked_open(participant)
        record = model.objects.filter(participant=participant, pk=record_id).first()
        if record is None:
            raise ShadowingError(_("There is no such record."))
        record.mentor_comment = text
        record.save(update_fields=["mentor_comment"])
    return record


def parse_score(value) -> Decimal:
    try:
        score = Decimal(str(value).strip())
    except (InvalidOperation, ValueError) as error:
        raise ShadowingError(_("The score must be a number from 0 to 100.")) from error
    if not score.is_finite() or score < 0 or score > 100 or score.as_tuple().exponent < -1:
        raise ShadowingError(_("The score must be a number from 0 to 100, with at most one decimal place."))
    return score


def appraise(actor, participant, *, score, appraisal) -> Participant:
    """The mentor's score and written appraisal (书面鉴定), which must state the attendance."""
    _as_mentor(actor, participant)
    score = parse_score(score)
    appraisal = _text(appraisal, field_label=_("The written appraisal"), min_chars=20)
    with transaction.atomic():
        participant = _locked_open(participant)
        participant.score = score
        participant.appraisal = appraisal
        participant.appraised_at = timezone.now()
        participant.save(update_fields=["score", "appraisal", "appraised_at"])
    return participant


def save_guidance(actor, participant, *, text) -> Participant:
    """The mentor's guidance summary (指导小结), printed on the appraisal form."""
    _as_mentor(actor, participant)
    text = _text(text, field_label=_("The guidance summary"), min_chars=20)
    with transaction.atomic():
        participant = _locked_open(participant)
        participant.guidance = text
        participant.save(update_fields=["guidance"])
    return participant


def submit_base_report(actor, base_school, *, text) -> BaseSchool:
    """The base school's report (基地校总结) for the programme, from its last day until a week after.

    Submitting again within the window replaces the text (the district reads
    the latest); it stays submitted after the programme closes.
    """
    _require(actor, lambda u: perm.can_report_as_base_school(u, base_school),
             _("Only the base school's admin can submit its report."))
    text = _text(text, field_label=_("The report"), min_chars=50)
    with transaction.atomic():
        base_school = BaseSchool.objects.select_for_update().select_related("programme").get(pk=base_school.pk)
        if error := rules.base_report_error(base_school.programme, timezone.localdate()):
            raise ShadowingError(error)
        base_school.report = text
        base_school.report_submitted_at = timezone.now()
        base_school.report_submitted_by = recorded_person(actor)
        base_school.save(update_fields=["report", "report_submitted_at", "report_submitted_by"])
    return base_school


# --- Reading: counts and progress ------------------------------------------------------


def counts_for(participants) -> dict[int, rules.Counts]:
    """Counts per participation for many at once (a fixed number of queries)."""
    ids = [p.pk for p in participants]
    if not ids:
        return {}

    def grouped(queryset, **annotations):
        return {row.pop("participant_id"): row for row in
                queryset.filter(participant_id__in=ids).values("participant_id").annotate(**annotations).order_by()}

    present = grouped(Attendance.objects.filter(status=Attendance.Status.PRESENT), n=Count("pk"))
    journal = grouped(JournalDay.objects, n=Count("pk"))
    observations = grouped(Observation.objects, n=Count("pk"))
    lessons = grouped(TaughtLesson.objects, n=Count("pk"), report=Count("pk", filter=Q(is_report_lesson=True)))
    activities = grouped(
        Activity.objects,
        research=Count("pk", filter=Q(kind=Activity.Kind.RESEARCH)),
        klass=Count("pk", filter=Q(kind=Activity.Kind.CLASS)),
    )
    writings = grouped(
        Writing.objects,
        reflections=Count("pk", filter=Q(kind=Writing.Kind.REFLECTION)),
        report=Count("pk", filter=Q(kind=Writing.Kind.REPORT)),
    )
    empty: dict = {}
    return {
        pk: rules.Counts(
            present_days=present.get(pk, empty).get("n", 0),
            journal_days=journal.get(pk, empty).get("n", 0),
            observations=observations.get(pk, empty).get("n", 0),
            lessons=lessons.get(pk, empty).get("n", 0),
            report_lessons=lessons.get(pk, empty).get("report", 0),
            research_activities=activities.get(pk, empty).get("research", 0),
            class_activities=activities.get(pk, empty).get("klass", 0),
            reflections=writings.get(pk, empty).get("reflections", 0),
            report=bool(writings.get(pk, empty).get("report", 0)),
        )
        for pk in ids
    }


def counts_of_records(records: dict) -> rules.Counts:
    """One participation's counts from all its rows, as the workspace has read them (views._records).

    What `counts_for` counts with six grouped queries, counted in Python from the rows the page shows anyway:
    the same rows, so the same numbers (tests/shadowing/test_services.py compares the two).
    """
    lessons, activities, writings = records["lessons"], records["activities"], records["writings"]
    return rules.Counts(
        present_days=sum(1 for a in records["attendance"] if a.status == Attendance.Status.PRESENT),
        journal_days=len(records["journal"]),
        observations=len(records["observations"]),
        lessons=len(lessons),
        report_lessons=sum(1 for lesson in lessons if lesson.is_report_lesson),
        research_activities=sum(1 for a in activities if a.kind == Activity.Kind.RESEARCH),
        class_activities=sum(1 for a in activities if a.kind == Activity.Kind.CLASS),
        reflections=sum(1 for w in writings if w.kind == Writing.Kind.REFLECTION),
        report=any(w.kind == Writing.Kind.REPORT for w in writings),
    )


def unexcused_of_records(records: dict) -> int:
    """`unexcused_for` of one participation, from its attendance and leave rows as the workspace has read them."""
    absent = {a.day for a in records["attendance"] if a.status == Attendance.Status.ABSENT}
    excused = {
        leave.day for leave in records["leaves"]
        if leave.mentor_approved_by_id is not None and leave.school_approved_by_id is not None
    }
    return rules.unexcused_absences(absent, excused)


def unexcused_for(participants) -> dict[int, int]:
    ids = [p.pk for p in participants]
    absent: dict[int, set] = defaultdict(set)
    excused: dict[int, set] = defaultdict(set)
    for pid, day in Attendance.objects.filter(participant_id__in=ids, status=Attendance.Status.ABSENT).values_list(
        "participant_id", "day"
    ):
        absent[pid].add(day)
    for pid, day in Leave.objects.filter(
        participant_id__in=ids, mentor_approved_by__isnull=False, school_approved_by__isnull=False
    ).values_list("participant_id", "day"):
        excused[pid].add(day)
    return {pid: rules.unexcused_absences(absent[pid], excused[pid]) for pid in ids}


def report_handed_in(participant) -> bool:
    return Writing.objects.filter(
        participant=participant, kind=Writing.Kind.REPORT, submitted_on__lte=rules.report_due(participant.programme)
    ).exists()


# --- The close: outcomes and hours through the ledger ---------------------------------


def teacher_source_ref(participant) -> str:
    return f"teacher:{participant.pk}"


def mentor_source_ref(programme, mentor_id) -> str:
    return f"mentor:{programme.pk}:{mentor_id}"


def certificate_of(participant):
    """The certificate issued to a passing visiting teacher at the close, or None."""
    from shixun.transcripts.models import Certificate, SourceKind

    return Certificate.objects.filter(
        source_kind=SourceKind.SHADOWING, source_ref=teacher_source_ref(participant)
    ).first()


def close_programme(actor, programme) -> Programme:
    """The district closes the programme: outcomes are fixed and hours posted, exactly once.

    A passing teacher (rules.outcome) gets the programme's hours; each mentor
    who has appraised every teacher they guided gets the mentor hours. The
    programme row is locked, so a second close (a retry, another tab, another
    admin) waits and then finds it closed; the ledger's unique source key is
    the last word even so.
    """
    from shixun.transcripts.certificates import issue_source_certificate
    from shixun.transcripts.ledger import post_entry
    from shixun.transcripts.models import SourceKind

    _require(actor, lambda u: perm.can_manage_programme(u, programme), _("Only the district can close the programme."))
    with transaction.atomic():
        programme = Programme.objects.select_for_update().get(pk=programme.pk)
        if programme.is_closed:
            return programme
        if timezone.localdate() <= programme.end_date:
            raise ShadowingError(
                _("The programme runs until %(day)s: close it after its last day.") % {"day": programme.end_date}
            )
        person = recorded_person(actor)
        participants = list(Participant.objects.filter(programme=programme).select_related("teacher", "mentor"))
        unexcused = unexcused_for(participants)
        by_mentor: dict[int, list[Participant]] = defaultdict(list)
        for participant in participants:
            result = rules.outcome(
                programme, score=participant.score, unexcused=unexcused[participant.pk],
                report_handed_in=report_handed_in(participant),
            )
            participant.passed = result.passed
            participant.outcome_note = result.reason[:255]
            participant.save(update_fields=["passed", "outcome_note"])
            if result.passed:
                title = _("Shadowing training: %(title)s") % {"title": programme.title}
                post_entry(
                    learner=participant.teacher, hours=programme.teacher_hours, title=title,
                    source_kind=SourceKind.SHADOWING, source_ref=teacher_source_ref(participant),
                    earned_on=programme.end_date, posted_by=person, via=LEDGER_VIA,
                )
                # The certificate shares the entry's source key: issued once,
                # in this transaction, and revoked if the entry is reversed.
                issue_source_certificate(
                    participant.teacher, source_kind=SourceKind.SHADOWING,
                    source_ref=teacher_source_ref(participant), title=title, hours=programme.teacher_hours,
                    completed_on=programme.end_date, issuer=programme.district.name, via=LEDGER_VIA,
                    kind="completion",  # 结业证书: passed, with the attendance rule met
                )
            if participant.mentor_id:
                by_mentor[participant.mentor_id].append(participant)
        for mentor_id, guided in by_mentor.items():
            if all(p.appraised_at is not None for p in guided):
                post_entry(
                    learner=guided[0].mentor, hours=programme.mentor_hours,
                    title=_("Shadowing training mentor: %(title)s") % {"title": programme.title},
                    source_kind=SourceKind.SHADOWING, source_ref=mentor_source_ref(programme, mentor_id),
                    earned_on=programme.end_date, posted_by=person, via=LEDGER_VIA,
                )
        programme.status = Programme.Status.CLOSED
        programme.closed_at = timezone.now()
        programme.closed_by = person
        programme.save(update_fields=["status", "closed_at", "closed_by"])
    return programme


def base_schools_of(programme):
    return BaseSchool.objects.filter(programme=programme).select_related("school")


# --- The district's set-up --------------------------------------------------------------


def create_programme(actor, district, **fields) -> Programme:
    """A district admin opens a programme; the targets not given keep the scheme's defaults."""
    from shixun.accounts.permissions import can_administer_district

    _require(actor, lambda u: can_administer_district(u, district), _("Only the district can open a programme."))
    subjects = fields.pop("subjects", [])
    fields["title"] = _text(fields.get("title"), field_label=_("The title"))
    start, end = fields.get("start_date"), fields.get("end_date")
    if start is None or end is None:
        raise ShadowingError(_("Give the first and the last day."))
    if end < start:
        raise ShadowingError(_("The last day is before the first day."))
    with transaction.atomic():
        programme = Programme.objects.create(district=district, **fields)
        programme.subjects.set(subjects)
    return programme


def add_place(actor, programme, *, school, subject, places: int) -> Place:
    """The district names a base school and its places for one subject (setting them again changes the number)."""
    _require(actor, lambda u: perm.can_manage_programme(u, programme), _("Only the district can name base schools."))
    if programme.is_closed:
        raise ShadowingError(_("The programme is closed: its records can no longer be changed."))
    if school.district_id != programme.district_id:
        raise ShadowingError(_("A base school must be a school of the programme's district."))
    if not isinstance(places, int) or places < 1 or places > 50:
        raise ShadowingError(_("Places must be a whole number from 1 to 50."))
    with transaction.atomic():
        base, _created = BaseSchool.objects.get_or_create(programme=programme, school=school)
        programme.subjects.add(subject)
        place, _created = Place.objects.update_or_create(base_school=base, subject=subject,
                                                         defaults={"places": places})
    return place


def checklist(programme) -> list[tuple[str, bool]]:
    """The start-up checklist the district's programme page shows (each item done or not)."""
    participants = Participant.objects.filter(programme=programme)
    return [
        (_("Base schools and places named"), Place.objects.filter(base_school__programme=programme).exists()),
        (_("Teachers nominated by the schools"), participants.exists()),
        (_("Every nominated teacher has a mentor"),
         participants.exists() and not participants.filter(mentor__isnull=True).exists()),
        (_("Attendance taken"), Attendance.objects.filter(participant__programme=programme).exists()),
        (_("Every teacher appraised"),
         participants.exists() and not participants.filter(appraised_at__isnull=True).exists()),
    ]


def places_of(programme):
    return Place.objects.filter(base_school__programme=programme).select_related("base_school__school", "subject")
