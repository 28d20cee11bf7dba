"""django-q2 tasks, called by dotted path with primary keys only.

Delivery is at least once (a killed worker's task is delivered again after
`retry`; with Redis a task in flight can be lost), so every task here is
idempotent and the scheduled `reconcile` posts whatever a lost task missed.
"""

from . import certificates, ledger, posting


def post_module_completion(completion_id: int) -> bool:
    result = ledger.post_module_completion(completion_id, via="task")
    return bool(result and result.created)


def post_due_module_completions(first_id: int) -> int:
    """The coalesced posting (transcripts.posting): the flag is cleared before anything pending is read."""
    posting.clear_due()
    return ledger.post_module_completions_from(first_id, via="task")


def process_course_completion(course_completion_id: int) -> bool:
    return certificates.process_course_completion(course_completion_id, via="task") is not None


def reconcile() -> int:
    return ledger.reconcile(via="reconcile")


def store_certificate_pdf(certificate_id: int) -> bool:
    from .models import Certificate

    certificate = Certificate.objects.filter(pk=certificate_id).first()
    if certificate is None:
        return False
    return bool(certificates.store_pdf(certificate).pdf)
