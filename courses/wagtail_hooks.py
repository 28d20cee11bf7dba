"""Wagtail admin wiring for courses."""

from django.contrib import messages
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect
from django.utils.translation import gettext as _
from wagtail import hooks

from .documents import may_download_document
from .models import ModuleCompletion, ModulePage


def completions_under(page) -> int:
    """Completions recorded for a module or for any module of a course or catalogue below this page."""
    module_ids = ModulePage.objects.filter(path__startswith=page.path).values("pk")
    return ModuleCompletion.objects.filter(module_id__in=module_ids).count()


@hooks.register("before_delete_page")
def refuse_to_delete_completed_learning(request, page):
    """Completions are learners' credit: a module or course someone completed is unpublished, never deleted.

    Covers modules, courses and any page above them (a catalogue); the PROTECT
    foreign keys would refuse anyway, but with a database error instead of advice.
    """
    count = completions_under(page)
    if not count:
        return None
    messages.error(
        request,
        _(
            "“%(title)s” cannot be deleted: learners have completed it %(count)s times and those hours are on "
            "their transcripts. Unpublish it instead."
        )
        % {"title": page.title, "count": count},
    )
    return redirect("wagtailadmin_explore", page.get_parent().pk)


@hooks.register("before_serve_document")
def only_readers_download_lesson_documents(document, request):
    """/documents/<id>/<name> follows the module's reading rule (courses/documents.py), not "anyone with the link"."""
    if may_download_document(request.user, document):
        return None
    if not request.user.is_authenticated:
        return redirect_to_login(request.get_full_path())
    raise PermissionDenied
