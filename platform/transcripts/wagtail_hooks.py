"""Admin wiring: course grading and certificate settings as a Wagtail snippet (trainers)."""

from django.utils.translation import gettext_lazy as _
from wagtail.snippets.models import register_snippet
from wagtail.snippets.views.snippets import SnippetViewSet

from .models import CourseCreditSettings


class CourseCreditSettingsViewSet(SnippetViewSet):
    model = CourseCreditSettings
    icon = "success"
    menu_label = _("Grading and certificates")
    list_display = ["course", "pass_mark", "void_at_absent_days", "award_hours"]
    add_to_admin_menu = True


register_snippet(CourseCreditSettingsViewSet)
