"""Wagtail admin: H5P library requests waiting for approval, approved or refused (install_h5p_library only).

Mounted in the admin by wagtail_hooks.py (namespace "h5p_libraries"), so
Wagtail checks admin access first; these views check the permission.
Approving installs the held package's libraries and makes it the
activity's package; refusing deletes the held file. The request row keeps
who decided and when, and each decision is in Wagtail's log.
"""

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext
from django.views.decorators.http import require_POST
from wagtail.log_actions import log

from .models import H5PLibraryRequest
from .packages import PackageRefused, affected_activities, approve_request, may_install_libraries, refuse_request

APPROVED_ACTION = "shixun_h5p.library_approved"
REFUSED_ACTION = "shixun_h5p.library_refused"


def _require_permission(request) -> None:
    if not may_install_libraries(request.user):
        raise PermissionDenied


def index(request):
    _require_permission(request)
    pending = []
    for held in H5PLibraryRequest.objects.filter(status=H5PLibraryRequest.Status.PENDING).select_related(
        "activity", "requested_by"
    ):
        affected = [
            (activity, entry["machine_name"], version)
            for entry in held.libraries
            for activity, version in affected_activities(entry)
        ]
        pending.append({"request": held, "libraries": held.libraries, "affected": affected})
    decided = (
        H5PLibraryRequest.objects.exclude(status=H5PLibraryRequest.Status.PENDING)
        .select_related("activity", "requested_by", "decided_by")
        .order_by("-decided_at", "-pk")[:20]
    )
    return render(
        request,
        "h5p/admin/library_requests.html",
        {"page_title": gettext("H5P libraries to approve"), "header_icon": "pick", "pending": pending,
         "decided": decided},
    )


def _pending_or_404(pk: int) -> H5PLibraryRequest:
    held = H5PLibraryRequest.objects.filter(pk=pk, status=H5PLibraryRequest.Status.PENDING).first()
    if held is None:
        raise Http404
    return held


@require_POST
def approve(request, pk: int):
    _require_permission(request)
    _pending_or_404(pk)
    try:
        held = approve_request(pk, request.user)
    except H5PLibraryRequest.DoesNotExist:
        raise Http404 from None
    except PackageRefused as refused:
        held = H5PLibraryRequest.objects.get(pk=pk)
        log(instance=held, action=REFUSED_ACTION, user=request.user, data={"reason": refused.message})
        messages.error(request, gettext("The package could not be installed and was refused: %(reason)s")
                       % {"reason": refused.message})
        return redirect("h5p_libraries:index")
    log(instance=held, action=APPROVED_ACTION, user=request.user)
    messages.success(request, gettext("Installed %(libraries)s for “%(activity)s”.")
                     % {"libraries": held.library_list, "activity": held.activity.title})
    return redirect("h5p_libraries:index")


@require_POST
def refuse(request, pk: int):
    _require_permission(request)
    _pending_or_404(pk)
    try:
        held = refuse_request(pk, request.user)
    except H5PLibraryRequest.DoesNotExist:
        raise Http404 from None
    log(instance=held, action=REFUSED_ACTION, user=request.user)
    messages.success(request, gettext("Refused %(libraries)s for “%(activity)s”; the file was deleted.")
                     % {"libraries": held.library_list, "activity": held.activity.title})
    return redirect("h5p_libraries:index")
