"""Shadowing's relations to a person, registered with schools' personal-data registry (export and erasure).

A visiting teacher's participation and records are the learning record
behind hours the district keeps (the training file, 培训档案): exported in
full, kept after erasure (the user row becomes an anonymous shell). Actions
on someone else's record (mentor, nominator, approvals, attendance, close)
are authorship.
"""

from shixun.schools.personal_data import AUTHORSHIP, LEARNING_RECORD, model_to_record, register


def export_participations(user) -> list[dict]:
    from .models import Activity, JournalDay, Leave, Observation, Participant, TaughtLesson, Writing

    result = []
    for participant in Participant.objects.filter(teacher=user).select_related("programme"):
        record = model_to_record(participant)
        record["programme"] = participant.programme.title
        for name, model in (("journal", JournalDay), ("observations", Observation), ("lessons", TaughtLesson),
                            ("activities", Activity), ("writings", Writing), ("leave", Leave)):
            record[name] = [model_to_record(row) for row in model.objects.filter(participant=participant)]
        result.append(record)
    return result


def register_all() -> None:
    register("shixun_shadowing.Participant", "teacher", export=export_participations, keep_reason=LEARNING_RECORD)
    for model, field in (
        ("Participant", "mentor"), ("Participant", "nominated_by"), ("Programme", "closed_by"),
        ("Attendance", "recorded_by"), ("Leave", "mentor_approved_by"), ("Leave", "school_approved_by"),
        ("BaseSchool", "report_submitted_by"),
    ):
        register(f"shixun_shadowing.{model}", field, keep_reason=AUTHORSHIP)
