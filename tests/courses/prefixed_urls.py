"""A host site's URLconf that mounts Shixun's URLs under a prefix (the lean heartbeat path's route test)."""

from django.urls import include, path

urlpatterns = [path("training/", include("shixun.config.host_urls"))]
