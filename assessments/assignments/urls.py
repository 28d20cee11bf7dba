from django.urls import path

from . import views

app_name = "assignments"

urlpatterns = [
    # A submission belongs to (learner, assignment, module): the module is part of the address.
    path("module/<int:module_id>/<int:assignment_id>/", views.hand_in, name="hand_in"),
    path("files/<int:version_id>/", views.download, name="download"),
    path("review/", views.review_queue, name="review_queue"),
    path("review/<int:submission_id>/", views.review_submission, name="review"),
    path("review/assignment/<int:assignment_id>/zip/", views.download_zip, name="download_zip"),
]
