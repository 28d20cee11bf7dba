"""URLs of the content origin (see middleware.py). Never included in the site's urls."""

from django.urls import path, re_path

from . import content_views

urlpatterns = [
    path("h5p/player/<path:path>", content_views.player_asset, name="h5p_player_asset"),
    path("h5p/play/<str:token>/", content_views.player_page, name="h5p_player_page"),
    path("h5p/play/<str:token>/h5p.json", content_views.h5p_json, name="h5p_json"),
    path("h5p/play/<str:token>/content/<path:path>", content_views.content_file, name="h5p_content_file"),
    re_path(
        r"^h5p/play/(?P<token>[^/]+)/libraries/(?P<folder>[^/]+)/(?P<path>.+)$",
        content_views.library_file,
        name="h5p_library_file",
    ),
]
