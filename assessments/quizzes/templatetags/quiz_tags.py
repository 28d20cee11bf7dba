from django import template

from ..panel import quiz_panel_context

register = template.Library()


@register.inclusion_tag("quizzes/includes/panel.html", takes_context=True)
def quiz_panel(context):
    """The learner's panel for the quiz block on a module page (rules, attempts, the one next action)."""
    request = context.get("request")
    quiz, module = context.get("activity"), context.get("page")
    if request is None or quiz is None or module is None:
        return {"quiz": quiz, "preview": True}
    panel = quiz_panel_context(request, quiz, module, page_context=context)
    return {**panel, "request": request, "required": context.get("required")}
