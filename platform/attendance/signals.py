"""Sent after commit when attendance that can change a course result changed (marks, leave decisions).

Apps that grade courses (transcripts) listen and re-evaluate the learners; attendance never imports them.
"""

from django.dispatch import Signal

# kwargs: course_id, learner_ids (a list), person_id (who made the change, or None for the system)
attendance_changed = Signal()
