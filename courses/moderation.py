"""Course review (课程审核): trainers write and submit, reviewers approve or ask for changes.

Set up idempotently after every migrate and whenever a catalogue page is
created, so a fresh site, `make demo` and a catalogue added later by hand all
end up the same:

- the "课程审核" workflow with one GroupApprovalTask for the reviewers group,
  assigned to every catalogue page (so it covers every course and module);
- trainers may add and edit pages under each catalogue, but not publish:
  publishing happens when a reviewer approves (reviewers hold publish rights);
- trainers and reviewers may use images and documents (cover images, lesson
  files) in the root collection.
"""

from django.contrib.auth.models import Group, Permission
from django.db import transaction

WORKFLOW_NAME = "课程审核"
TASK_NAME = "课程评审"
TRAINER_PAGE_PERMISSIONS = ("add_page", "change_page")
# Approving the last task publishes the page as the reviewer, so reviewers
# hold publish rights on the catalogue (as Wagtail's own Moderators do).
REVIEWER_PAGE_PERMISSIONS = ("change_page", "publish_page")
MEDIA_PERMISSIONS = {
    "wagtailimages": ("add_image", "choose_image"),
    "wagtaildocs": ("add_document", "choose_document"),
}


def course_workflow():
    from wagtail.models import GroupApprovalTask, Workflow, WorkflowTask

    from shixun.accounts.models import Role

    reviewers, _ = Group.objects.get_or_create(name=Role.REVIEWER.value)
    workflow, _ = Workflow.objects.get_or_create(name=WORKFLOW_NAME, defaults={"active": True})
    task = GroupApprovalTask.objects.filter(name=TASK_NAME).first()
    if task is None:
        task = GroupApprovalTask.objects.create(name=TASK_NAME)
    task.groups.add(reviewers)
    if not WorkflowTask.objects.filter(workflow=workflow, task=task).exists():
        WorkflowTask.objects.create(workflow=workflow, task=task, sort_order=0)
    return workflow


def configure_catalogue(catalogue) -> None:
    """Put one catalogue page under course review and give trainers their page permissions on it."""
    from wagtail.models import GroupPagePermission, WorkflowPage

    from shixun.accounts.models import Role

    workflow = course_workflow()
    WorkflowPage.objects.get_or_create(page_id=catalogue.pk, defaults={"workflow": workflow})
    for role, codenames in ((Role.TRAINER, TRAINER_PAGE_PERMISSIONS), (Role.REVIEWER, REVIEWER_PAGE_PERMISSIONS)):
        group, _ = Group.objects.get_or_create(name=role.value)
        for codename in codenames:
            permission = Permission.objects.filter(content_type__app_label="wagtailcore", codename=codename).first()
            if permission is None:  # before Wagtail's own post_migrate created it; the next migrate catches up
                continue
            GroupPagePermission.objects.get_or_create(group=group, page_id=catalogue.pk, permission=permission)


def configure_media_permissions() -> None:
    from wagtail.models import Collection, GroupCollectionPermission

    from shixun.accounts.models import Role

    root = Collection.get_first_root_node()
    if root is None:
        return
    for role in (Role.TRAINER, Role.REVIEWER):
        group, _ = Group.objects.get_or_create(name=role.value)
        for app_label, codenames in MEDIA_PERMISSIONS.items():
            for permission in Permission.objects.filter(content_type__app_label=app_label, codename__in=codenames):
                GroupCollectionPermission.objects.get_or_create(group=group, collection=root, permission=permission)


def ensure_course_moderation(**kwargs) -> None:
    """post_migrate handler: idempotent, safe on an empty database.

    post_migrate is sent once per installed app; ours acts on the last one,
    when every app's permissions (Wagtail's page permissions included) exist.
    """
    from django.apps import apps

    from .models import CataloguePage

    app_config = kwargs.get("app_config")
    if app_config is not None and app_config is not list(apps.get_app_configs())[-1]:
        return

    with transaction.atomic():
        course_workflow()
        configure_media_permissions()
        for catalogue in CataloguePage.objects.all():
            configure_catalogue(catalogue)


def confirm_review_action(request, page, action_name: str) -> None:
    """Tell the reviewer what approving did: Wagtail's own workflow views say nothing after an approval.

    Called by the workflow-action view (the dashboard's approve buttons) and
    by the after_edit_page hook (approve from the editor's action menu).
    """
    from django.contrib import messages
    from django.utils.translation import gettext as _
    from wagtail.models import Page

    if action_name != "approve":
        return
    page = Page.objects.get(pk=page.pk)  # fresh: approving the last task has just published it
    title = page.get_admin_display_title()
    if page.live and not page.workflow_in_progress:
        messages.success(request, _("“%(title)s” is approved and now published.") % {"title": title})
    else:
        messages.success(request, _("“%(title)s” is approved.") % {"title": title})
