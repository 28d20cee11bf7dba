from django.urls import path

from . import views

app_name = "attendance"

urlpatterns = [
    # Trainers
    path("trainer/", views.trainer_home, name="trainer_home"),
    path("course/<int:course_id>/sessions/", views.course_sessions, name="course_sessions"),
    path("course/<int:course_id>/sessions/new/", views.session_form, name="session_add"),
    path("session/<int:session_id>/edit/", views.session_form, name="session_edit"),
    path("session/<int:session_id>/code/", views.show_code, name="show_code"),
    path("session/<int:session_id>/class/", views.class_list_view, name="class_list"),
    path("session/<int:session_id>/sheet.pdf", views.sign_in_sheet, name="sign_in_sheet"),
    path("course/<int:course_id>/export.<str:fmt>", views.course_export, name="course_export"),
    # Teachers
    path("s/<str:token>/", views.scan, name="scan"),
    path("code/", views.type_code, name="type_code"),
    path("mine/", views.my_sessions, name="my_sessions"),
    path("session/<int:session_id>/leave/", views.leave_form, name="leave_request"),
    path("leave/<int:leave_id>/withdraw/", views.leave_withdraw, name="leave_withdraw"),
    # School admins
    path("leave/", views.leave_requests, name="leave_requests"),
    path("leave/<int:leave_id>/decide/", views.leave_decide, name="leave_decide"),
]
