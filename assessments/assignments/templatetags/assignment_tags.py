from django import template

from shixun.assessments.uploads import FileKind
from shixun.assessments.uploads.refusals import join_labels

from ..models import Submission

register = template.Library()


@register.simple_tag
def learner_submission(assignment, module, user):
    """The user's submission for this assignment in this module (with its latest version), or None."""
    if assignment is None or module is None or not getattr(user, "is_authenticated", False):
        return None
    return (
        Submission.objects.select_related("current_version")
        .filter(learner=user, assignment=assignment, module=module)
        .first()
    )


@register.filter
def kind_labels(kinds) -> str:
    """"PDF、Word 文档" from a list of FileKind members or values."""
    return join_labels(FileKind(kind).label for kind in kinds)


@register.filter
def megabytes(value_mb) -> str:
    """"20 MB": the size a teacher reads on their phone's file list (filesizeformat would say "20.0 MB")."""
    return f"{int(value_mb)} MB"
