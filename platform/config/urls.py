from django.conf import settings
from django.contrib import admin
from django.urls import include, path
from wagtail import urls as wagtail_urls
from wagtail.admin import urls as wagtailadmin_urls
from wagtail.documents import urls as wagtaildocs_urls

from shixun.accounts.views import landing

urlpatterns = [
    path("", landing, name="home"),
    # Shixun's own pages: the same list a host site includes.
    path("", include("shixun.config.host_urls")),
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
