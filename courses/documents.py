"""Who may download a lesson's documents (handouts, video files) from /documents/….

Wagtail serves a document to anyone who knows its address unless its
collection has a view restriction, and document ids are sequential. A lesson
handout is course content, so it follows the module's own rule: whoever may
read a live module that uses the document may download it (enrolled learners,
the course's staff), and so may the people who manage documents in the admin
(trainers choosing files for their lessons). Everyone else is refused, and an
anonymous visitor is sent to log in first.

Which modules use a document comes from Wagtail's reference index, which is
kept up to date whenever a page is saved or published.
"""

from django.contrib.contenttypes.models import ContentType
from wagtail.documents import get_document_model
from wagtail.models import Page, ReferenceIndex
from wagtail.permission_policies.collections import CollectionPermissionPolicy

from .enrolment import active_enrolment
from .models import ModulePage
from .permissions import can_view_module_content

MANAGING_ACTIONS = ("add", "change", "choose")


def modules_using(document):
    page_type = ContentType.objects.get_for_model(Page)
    page_ids = [
        int(object_id)
        for object_id in ReferenceIndex.get_references_to(document)
        .filter(base_content_type=page_type)
        .values_list("object_id", flat=True)
        if str(object_id).isdigit()
    ]
    return ModulePage.objects.live().filter(pk__in=page_ids)


def may_download_document(user, document) -> bool:
    if not (user and user.is_authenticated and user.is_active):
        return False
    if user.is_superuser:
        return True
    policy = CollectionPermissionPolicy(get_document_model())
    if policy.user_has_any_permission(user, MANAGING_ACTIONS):
        return True
    for module in modules_using(document):
        course = module.get_course()
        if can_view_module_content(user, course, enrolled=active_enrolment(user, course) is not None):
            return True
    return False
