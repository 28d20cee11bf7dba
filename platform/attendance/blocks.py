"""The module block that places an attendance session (declared as the "attendance" activity kind)."""

from django.utils.translation import gettext_lazy as _
from wagtail.snippets.blocks import SnippetChooserBlock

from shixun.courses.blocks import ActivityBlock


class AttendanceBlock(ActivityBlock):
    kind = "attendance"
    target_field = "session"
    session = SnippetChooserBlock("shixun_attendance.Session", label=_("Session"))

    class Meta:
        icon = "group"
        label = _("Attendance at a session")
        template = "shixun/attendance/blocks/attendance.html"
