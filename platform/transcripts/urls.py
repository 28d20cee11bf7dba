from django.urls import path

from . import study_review_views, training_file_views, views

app_name = "transcripts"

urlpatterns = [
    path("transcript/", views.transcript, name="mine"),
    path("transcript/pdf/", views.transcript_pdf, name="mine_pdf"),
    path("transcript/csv/", views.transcript_csv_download, name="mine_csv"),
    path("transcript/file/", training_file_views.training_file, name="mine_file"),
    path("transcript/rules/", views.rules, name="rules"),
    path("transcript/rules/new/", views.rule_edit, name="rule_add"),
    path("transcript/rules/<int:rule_id>/", views.rule_edit, name="rule_edit"),
    path("transcript/review/", study_review_views.study_review, name="study_review"),
    path("transcript/grades/", views.grade_courses, name="grade_courses"),
    path("transcript/grades/<int:course_id>/", views.grade_sheet, name="grades"),
    path("transcript/grades/<int:course_id>/upload/", views.grades_upload, name="grades_upload"),
    path("transcript/grades/<int:course_id>/csv/", views.grades_template, name="grades_csv"),
    path("transcript/certificates/<str:code>/pdf/", views.certificate_pdf, name="certificate_pdf"),
    path("transcript/<int:user_id>/", views.transcript, name="person"),
    path("transcript/<int:user_id>/pdf/", views.transcript_pdf, name="person_pdf"),
    path("transcript/<int:user_id>/csv/", views.transcript_csv_download, name="person_csv"),
    path("transcript/<int:user_id>/file/", training_file_views.training_file, name="person_file"),
    path("transcript/<int:user_id>/entries/<int:entry_id>/reverse/", views.reverse_credit, name="reverse"),
    path("transcript/<int:user_id>/adjust/", views.adjust_credit, name="adjust"),
    path("v/<str:code>/", views.verify, name="verify"),
    path("v/file/<str:code>/", training_file_views.verify_file, name="verify_file"),
]
