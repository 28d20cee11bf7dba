"""The site's URLs plus a bare module view, for the browser test.

The view renders a module's blocks inside base.html exactly as a module page
does (`include_block` with `page`, `request` and `activity_statuses` in the
context), so the H5P block, its script and the xAPI round trip are the real
ones, without depending on the course pages' own template.
"""

from django.http import HttpResponse
from django.shortcuts import get_object_or_404
from django.template import engines
from django.urls import include, path

from courses.models import ActivityProgress, ModulePage

MODULE_TEMPLATE = """{% extends "base.html" %}{% load wagtailcore_tags %}
{% block title %}{{ page.title }}{% endblock %}
{% block content %}<h1>{{ page.title }}</h1>
{% for block in page.body %}{% include_block block %}{% endfor %}{% endblock %}"""


def module_view(request, pk: int):
    page = get_object_or_404(ModulePage, pk=pk)
    statuses = dict(
        ActivityProgress.objects.filter(user=request.user, module=page).values_list("activity_key", "status")
    )
    html = engines["django"].from_string(MODULE_TEMPLATE).render(
        {"page": page, "activity_statuses": statuses}, request
    )
    return HttpResponse(html)


urlpatterns = [
    path("h5p-harness/module/<int:pk>/", module_view),
    path("", include("config.urls")),
]
