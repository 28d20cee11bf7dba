"""Panels other apps add to the learner dashboard (我的学习), e.g. attendance's upcoming sessions.

An app declares one in its wagtail_hooks.py:

    @hooks.register(DASHBOARD_PANEL_HOOK)
    def sessions_panel(request, today):
        return render_to_string(...)  # or "" when there is nothing to show

courses renders what they return, in hook order, above the courses; it never names the apps.
"""

from wagtail import hooks

DASHBOARD_PANEL_HOOK = "register_shixun_dashboard_panel"


def dashboard_panels(request, today) -> list[str]:
    return [html for panel in hooks.get_hooks(DASHBOARD_PANEL_HOOK) if (html := panel(request, today))]
