from django.db import transaction

from shixun.courses.models import ActivityStatus
from shixun.courses.progress import record_activity_status

from .models import Signature


def sign(user, module, checklist):
    """The learner signs the checklist: the kind's one way to DONE, reported through courses.progress."""
    with transaction.atomic():
        Signature.objects.get_or_create(user=user, checklist=checklist, module=module)
        return record_activity_status(user, module, checklist.activity_key, ActivityStatus.DONE)
