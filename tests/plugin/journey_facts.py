"""Run in the host (`manage.py shell`): prints, as JSON, where the journey goes.

Read-only: finds the demo's open-enrolment course and, in it, a module whose
only activity is its lesson (done after its study time), so the test knows
which URLs to walk and which hours to expect, and the course's credit policy
(the demo's 师德师风建设 posts its hours only when the course is passed).
"""

import json

from shixun.courses.models import CoursePage, ModulePage

course = CoursePage.objects.live().get(slug="shide-shifeng")
modules = []
for module in ModulePage.objects.live().child_of(course).order_by("path"):
    kinds = sorted({block.block_type for block in module.body})
    modules.append({"url": module.url, "title": module.title, "hours": str(module.credit_hours), "kinds": kinds})
print(json.dumps({"course_url": course.url, "course_id": course.pk, "course_title": course.title, "modules": modules,
                  "credit_policy": course.credit_policy}))
