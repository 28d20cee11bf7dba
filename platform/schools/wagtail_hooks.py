"""What schools puts on the admins' list of waiting work (shixun.inbox.pending)."""

from django.db.models import Count, F
from django.urls import reverse
from django.utils.translation import gettext as _
from wagtail import hooks

from shixun.accounts.people import profile_of


@hooks.register("register_shixun_pending_work")
def external_training_waiting(user):
    """Training teachers registered themselves, waiting for their school's (or district's) decision."""
    from shixun.inbox.pending import PendingWork

    from .models import ExternalTraining

    profile = profile_of(user)
    waiting = ExternalTraining.objects.filter(status=ExternalTraining.Status.SUBMITTED)
    if profile.is_school_admin and profile.school_id:
        count = waiting.filter(teacher__shixun_profile__school_id=profile.school_id).count()
        return [PendingWork(
            _("Registered training to approve"), count,
            reverse("schools:external_queue", args=[profile.school.code]), 20,
        )]
    if profile.is_district_admin and profile.district_id:
        per_school = (
            waiting.filter(teacher__shixun_profile__school__district_id=profile.district_id)
            .values(code=F("teacher__shixun_profile__school__code"), name=F("teacher__shixun_profile__school__name"))
            .annotate(n=Count("pk"))
            .order_by("name")
        )
        label = _("Registered training to approve: %(school)s")
        return [
            PendingWork(label % {"school": row["name"]}, row["n"],
                        reverse("schools:external_queue", args=[row["code"]]), 20)
            for row in per_school
        ]
    return []
