from wagtail.snippets.blocks import SnippetChooserBlock

from shixun.courses.blocks import ActivityBlock


class ChecklistBlock(ActivityBlock):
    kind = "checklist"
    target_field = "checklist"
    checklist = SnippetChooserBlock("activity_kind_app.Checklist", label="Checklist")

    class Meta:
        icon = "tick"
        label = "Checklist"
        template = "activity_kind_app/blocks/checklist.html"
