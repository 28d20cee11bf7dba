"""What two trainers do at once on a grade sheet, shared by the grading and credit-policy concurrency tests."""

import threading

from shixun.transcripts import certificates as certs
from shixun.transcripts import grades


def save_as(trainer, course, learner, values):
    """What the grade sheet does on POST: parse the trainer's cells against a fresh sheet, then save."""

    def call():
        sheet = grades.build_sheet(course)
        data = {grades.score_field(learner.pk, component.pk): value for component, value in values}
        changes, errors = grades.parse_changes(sheet, data)
        assert not errors, errors
        return grades.save_changes(course, changes, actor=trainer)

    return call


def wait_for_each_other_after_writing(monkeypatch, timeout=3):
    """Each save waits (up to `timeout` s) after writing its score until the other has written too.

    Makes the "missing half" race certain rather than lucky: without the course-completion lock both
    saves then evaluate before either commits. With the lock the second save is queued at the lock, so
    the wait times out and the saves run one after the other.
    """
    both_written = threading.Barrier(2)
    record = certs.record_component_score

    def record_then_wait(*args, **kwargs):
        row = record(*args, **kwargs)
        try:
            both_written.wait(timeout=timeout)
        except threading.BrokenBarrierError:
            pass
        return row

    monkeypatch.setattr(certs, "record_component_score", record_then_wait)
