from django import template
from django.middleware.csrf import get_token
from django.urls import reverse

from shixun.courses.progress import is_enrolled_on_module_page

from ..links import content_origin, make_token, player_url
from ..models import H5PContent
from ..packages import pending_request

register = template.Library()


@register.inclusion_tag("h5p/includes/player.html", takes_context=True)
def h5p_player(context, activity, page):
    """The player iframe for an enrolled learner; otherwise a short explanation.

    The signed link is made here, per learner and per page view, so it is
    only ever handed to a learner the server has just checked.
    """
    request = context.get("request")
    user = getattr(request, "user", None)
    content_id = _current_content_id(activity)
    result = {"activity": activity, "reason": None, "status": context.get("activity_status")}
    if content_id is None:
        # A package held for library approval (or refused) is not playable: say so, not "no content".
        result["reason"] = "not_yet_available" if activity is not None and _held(activity) else "no_package"
    elif request is None or getattr(request, "is_preview", False) or page is None:
        result["reason"] = "preview"
    elif not user.is_authenticated or not is_enrolled_on_module_page(context, user, page):
        result["reason"] = "not_enrolled"
    else:
        site_origin = f"{request.scheme}://{request.get_host()}"
        content = H5PContent(pk=content_id)  # the link names the package by its id, nothing else of it
        token = make_token(user=user, activity=activity, module=page, content=content, site_origin=site_origin)
        result.update(
            player_src=player_url(token),
            token=token,
            content_origin=content_origin(),
            xapi_url=reverse("h5p:xapi"),
            csrf_token=get_token(request),
        )
    return result


def _current_content_id(activity) -> int | None:
    """The id of the activity's current package, without reading the package (issue 18: a query and the ORM's
    work on every view of an H5P module). `current_content` is a foreign key (SET_NULL when the package is
    deleted), so a set id always names an existing package: exactly when `activity.current_content` is one."""
    return activity.current_content_id if activity is not None else None


def _held(activity) -> bool:
    return pending_request(activity) is not None
