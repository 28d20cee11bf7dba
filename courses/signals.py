"""Signals other apps build on.

`module_completed` is sent once per recorded ModuleCompletion, after the
transaction that created it has committed (so a receiver that enqueues a
background job never races the row it refers to). Receivers get
`completion` (a ModuleCompletion). The credit ledger listens to it.

`course_completed` is sent likewise once per CourseCompletion (`completion`).
"""

from django.dispatch import Signal

module_completed = Signal()
course_completed = Signal()
