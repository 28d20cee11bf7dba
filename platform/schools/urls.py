from django.urls import path

from . import views

app_name = "schools"

urlpatterns = [
    path("districts/<slug:code>/", views.district_dashboard, name="district_dashboard"),
    path("districts/<slug:code>/exports/", views.district_exports, name="district_exports"),
    path("exports/<int:job_id>/", views.export_job, name="export_job"),
    path("me/personal-data.json", views.my_data, name="my_data"),
    path("unsubscribe/<str:token>/", views.unsubscribe, name="unsubscribe"),
    path("people/<int:person_id>/erase/", views.erase_person_view, name="erase_person"),
    path("me/external-training/", views.my_external_training, name="my_external_training"),
    path("external-training/<int:record_id>/certificate/", views.external_certificate, name="external_certificate"),
    path("exports/<int:job_id>/download/", views.export_download, name="export_download"),
    path("<slug:code>/", views.school_dashboard, name="school_dashboard"),
    path("<slug:code>/exports/", views.school_exports, name="school_exports"),
    path("<slug:code>/roster/", views.roster_upload, name="roster"),
    path("<slug:code>/roster/import/", views.roster_import, name="roster_import"),
    path("<slug:code>/roster/template.csv", views.roster_template, name="roster_template"),
    path("<slug:code>/roster/imports/<int:import_id>/passwords/", views.one_time_passwords, name="one_time_passwords"),
    path("<slug:code>/first-logins/", views.first_logins, name="first_logins"),
    path("<slug:code>/external-training/", views.external_queue, name="external_queue"),
    path("<slug:code>/external-training/<int:record_id>/decide/", views.external_decide, name="external_decide"),
    path("<slug:code>/external-training/group/", views.group_credit, name="group_credit"),
]
