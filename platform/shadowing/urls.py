from django.urls import path

from . import pdfs, views

app_name = "shadowing"

urlpatterns = [
    path("", views.home, name="home"),
    path("mentor/", views.mentor_home, name="mentor"),
    path("p/<int:pk>/", views.workspace, name="workspace"),
    path("p/<int:pk>/<slug:form>/", views.record, name="record"),
    path("p/<int:pk>/files/<slug:kind>/<int:record_id>/", views.record_file, name="record_file"),
    path("p/<int:pk>/forms/<slug:form>.pdf", pdfs.form_pdf, name="form_pdf"),
    path("programmes/new/", views.new_programme, name="new_programme"),
    path("programmes/<int:pk>/", views.programme_view, name="programme"),
    path("programmes/<int:pk>/places/", views.add_place, name="add_place"),
    path("programmes/<int:pk>/close/", views.close, name="close"),
    path("programmes/<int:pk>/export.<slug:fmt>", views.export, name="export"),
    path("programmes/<int:pk>/nominate/", views.nominate, name="nominate"),
    path("programmes/<int:pk>/base/<int:base_pk>/", views.place, name="place"),
    path("programmes/<int:pk>/base/<int:base_pk>/report/", views.base_report, name="base_report"),
]
