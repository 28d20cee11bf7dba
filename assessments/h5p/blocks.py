"""The module block that places an H5P activity (declared as the "h5p" activity kind in wagtail_hooks.py)."""

from django.utils.translation import gettext_lazy as _
from wagtail.snippets.blocks import SnippetChooserBlock

from shixun.courses.blocks import ActivityBlock


class H5PBlock(ActivityBlock):
    kind = "h5p"
    target_field = "activity"
    activity = SnippetChooserBlock("shixun_h5p.H5PActivity", label=_("H5P activity"))

    class Meta:
        icon = "pick"
        label = _("H5P activity")
        template = "h5p/blocks/h5p.html"
