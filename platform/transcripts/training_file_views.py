"""The training file download (the teacher, their school admin, their district admin; others 404) and its check."""

from django.contrib.auth import get_user_model
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from shixun.accounts.people import profile_of

from .models import TrainingFile
from .permissions import can_view_transcript
from .training_file import produce
from .views import mask_name


@login_required
@require_GET
@never_cache
def training_file(request, user_id=None):
    """Produces the file anew from the ledger (and records its verification code): a GET that changes no credit."""
    if user_id is None:
        learner = request.user
    else:
        people = get_user_model().objects.select_related("shixun_profile__school", "shixun_profile__district")
        learner = get_object_or_404(people, pk=user_id)
        if not can_view_transcript(request.user, learner):
            raise Http404  # another school's or district's teacher: not even whether they exist
    body, record = produce(learner, produced_by=request.user)
    response = HttpResponse(body, content_type="application/pdf")
    # ASCII file name: a learner's Chinese name in a header trips some phone browsers.
    name = f"training-file-{learner.pk}-{timezone.localdate():%Y%m%d}.pdf"
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


@require_GET
def verify_file(request, code):
    """Public: was this training file produced by Shixun, when, and what totals did it state."""
    record = (
        TrainingFile.objects.select_related("learner__shixun_profile__district").filter(code=code.strip().upper())
        .first()
    )
    context = {"code": code, "record": record}
    if record is not None:
        profile = profile_of(record.learner)
        context["holder"] = mask_name(profile.display_name)
        context["district"] = profile.district
    response = render(request, "transcripts/verify_file.html", context, status=200 if record else 404)
    response["X-Robots-Tag"] = "noindex"
    response["Referrer-Policy"] = "no-referrer"
    return response
