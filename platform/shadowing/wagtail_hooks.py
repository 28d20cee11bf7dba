"""What shadowing puts on the list of waiting work (shixun.inbox.pending): leave to approve."""

from django.urls import reverse
from django.utils.translation import gettext as _
from wagtail import hooks

from shixun.accounts.people import profile_of


@hooks.register("register_shixun_pending_work")
def leave_waiting(user):
    """Leave a visiting teacher asked for, waiting for their mentor's or their base school's approval."""
    from shixun.inbox.pending import PendingWork

    from .models import Leave, Programme

    open_leave = Leave.objects.filter(participant__programme__status=Programme.Status.OPEN)
    items = []
    as_mentor = open_leave.filter(participant__mentor=user, mentor_approved_by__isnull=True).count()
    items.append(PendingWork(_("Shadowing leave to approve as mentor"), as_mentor, reverse("shadowing:mentor"), 40))
    profile = profile_of(user)
    if profile.is_school_admin and profile.school_id:
        as_school = open_leave.filter(
            participant__base_school__school_id=profile.school_id, school_approved_by__isnull=True
        ).count()
        items.append(PendingWork(_("Shadowing leave to approve as base school"), as_school,
                                 reverse("shadowing:home"), 40))
    return items


@hooks.register("register_shixun_header_entries")
def header_entries(user):
    """跟岗研修 in the header for the people who take part (cached: no query per page)."""
    from .nav import header_entries

    return header_entries(user)
