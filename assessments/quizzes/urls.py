from django.urls import path

from . import trainer_views, views

app_name = "quizzes"

urlpatterns = [
    # Learners: a quiz is always taken in a module (the module's id is in the URL).
    path("module/<int:module_id>/quiz/<int:quiz_id>/", views.quiz_overview, name="overview"),
    path("module/<int:module_id>/quiz/<int:quiz_id>/start/", views.start, name="start"),
    path("attempt/<int:attempt_id>/", views.attempt_page, name="attempt"),
    path("attempt/<int:attempt_id>/save/", views.save, name="save"),
    path("attempt/<int:attempt_id>/submit/", views.submit, name="submit"),
    path("attempt/<int:attempt_id>/result/", views.result, name="result"),
    # Trainers
    path("manage/", trainer_views.index, name="manage"),
    path("manage/module/<int:module_id>/quiz/<int:quiz_id>/", trainer_views.quiz_results, name="results"),
    path("manage/module/<int:module_id>/quiz/<int:quiz_id>/export.csv", trainer_views.export_csv, name="export"),
    path("manage/grading/", trainer_views.grading_queue, name="grading_queue"),
    path("manage/grading/<int:item_id>/", trainer_views.grade, name="grade"),
]
