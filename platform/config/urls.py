from django.conf import settings
from django.contrib import admin
from django.urls import include, path
from wagtail import urls as wagtail_urls
from wagtail.admin import urls as wagtailadmin_urls
from wagtail.admin.auth import require_admin_access
from wagtail.documents import urls as wagtaildocs_urls

from shixun.accounts.views import landing
from shixun.config.health import HEALTHZ_PATH, READYZ_PATH, healthz, readyz
from shixun.config.metrics import metrics
from shixun.courses.views import WorkflowActionView

urlpatterns = [
    path("", landing, name="home"),
    # For load balancers and monitoring (config.health answers the first two before any session).
    path(HEALTHZ_PATH.lstrip("/"), healthz, name="healthz"),
    path(READYZ_PATH.lstrip("/"), readyz, name="readyz"),
    path("metrics", metrics, name="metrics"),
    # Shixun's own pages: the same list a host site includes.
    path("", include("shixun.config.host_urls")),
    # Before Wagtail's own: the same workflow action, plus a confirmation for the reviewer who approves.
    path(
        "admin/pages/workflow/action/<int:page_id>/<slug:action_name>/<int:task_state_id>/",
        require_admin_access(WorkflowActionView.as_view()), name="course_workflow_action",
    ),
    path("admin/", include(wagtailadmin_urls)),
    path("django-admin/", admin.site.urls),
    path("documents/", include(wagtaildocs_urls)),
]

if settings.DEBUG:
    from django.conf.urls.static import static

    # Public media only. Private media has no URL: permission-checked views
    # stream it.
    urlpatterns += static(settings.MEDIA_URL, document_root=settings.MEDIA_ROOT)

# Wagtail's page tree (catalogue, courses, modules) takes every other path.
urlpatterns += [path("", include(wagtail_urls))]
