"""The trainer's admin home: a panel of the work waiting for them (grading, assignments to review, …)."""

from django.template.loader import render_to_string
from wagtail import hooks
from wagtail.admin.ui.components import Component

from .pending import pending_work_for


class PendingWorkPanel(Component):
    name = "shixun_pending_work"
    order = 50  # above Wagtail's own panels

    def __init__(self, items):
        self.items = items

    def render_html(self, parent_context=None):
        return render_to_string("shixun/inbox/admin_pending_work.html", {"pending_work": self.items})


@hooks.register("construct_homepage_panels")
def add_pending_work_panel(request, panels):
    items = pending_work_for(request.user)
    if items:
        panels.insert(0, PendingWorkPanel(items))
