"""The module block that places an assignment (declared as the "assignment" activity kind in wagtail_hooks.py)."""

from django.utils.translation import gettext_lazy as _
from wagtail.snippets.blocks import SnippetChooserBlock

from shixun.courses.blocks import ActivityBlock


class AssignmentBlock(ActivityBlock):
    kind = "assignment"
    target_field = "assignment"
    assignment = SnippetChooserBlock("shixun_assignments.Assignment", label=_("Assignment"))

    class Meta:
        icon = "upload"
        label = _("Assignment")
        template = "assignments/blocks/assignment.html"
