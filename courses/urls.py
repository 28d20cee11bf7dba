from django.urls import path

from . import study_views, video_views, views

app_name = "courses"

urlpatterns = [
    path("", views.dashboard, name="dashboard"),
    path("catalogue/", views.catalogue, name="catalogue"),
    path("courses/<int:course_id>/enrol/", views.enrol, name="enrol"),
    path("courses/<int:course_id>/withdraw/", views.withdraw, name="withdraw"),
    path("modules/<int:module_id>/study/", study_views.heartbeat, name="study_heartbeat"),
    path("courses/<int:course_id>/apply/", views.apply, name="apply"),
    path("applications/<int:pk>/withdraw/", views.withdraw_application, name="withdraw_application"),
    path("modules/<int:module_id>/videos/<str:block_id>/watched/", video_views.video_report, name="video_report"),
    path("manage/", views.manage, name="manage"),
    path("manage/courses/<int:course_id>/assign/", views.assign, name="assign"),
    path("manage/applications/", views.applications, name="applications"),
    path("manage/applications/<int:pk>/decide/", views.decide_application, name="decide_application"),
    path("modules/<int:module_id>/steps/", views.module_steps_json, name="module_steps"),
]
