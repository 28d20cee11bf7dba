from django.contrib import messages as flash
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from . import services
from .models import Message

PAGE_SIZE = 20


@login_required
def inbox(request):
    page = Paginator(Message.objects.filter(recipient=request.user), PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "shixun/inbox/inbox.html", {"page": page, "unread": services.unread_count(request.user)})


@login_required
def open_message(request, message_id: int):
    """Show one message (someone else's is 404) and count it as read: reading changes no credit."""
    message = get_object_or_404(Message, pk=message_id, recipient=request.user)
    services.mark_read(request.user, message)
    safe_url = message.url if url_has_allowed_host_and_scheme(message.url, allowed_hosts={request.get_host()}) else ""
    return render(request, "shixun/inbox/message.html", {"message": message, "action_url": safe_url})


@login_required
@require_POST
def read_all(request):
    changed = services.mark_all_read(request.user)
    if changed:
        flash.success(request, _("All messages are marked as read."))
    return redirect("inbox:inbox")
