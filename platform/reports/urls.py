from django.urls import path

from . import views

app_name = "reports"

urlpatterns = [
    path("district/<slug:code>/criteria/", views.criteria, name="criteria"),
    path("district/<slug:code>/<int:year>/", views.report, {"kind": "district"}, name="district_report"),
    path("district/<slug:code>/<int:year>/compute/", views.compute, {"kind": "district"}, name="district_compute"),
    path("district/<slug:code>/<int:year>/report.<str:fmt>", views.download, {"kind": "district"},
         name="district_download"),
    path("district/<slug:code>/<int:year>/appraisal/", views.appraisal, {"kind": "district"},
         name="district_appraisal"),
    path("district/<slug:code>/<int:year>/appraisal.<str:fmt>", views.appraisal_download, {"kind": "district"},
         name="district_appraisal_download"),
    path("school/<slug:code>/<int:year>/", views.report, {"kind": "school"}, name="school_report"),
    path("school/<slug:code>/<int:year>/compute/", views.compute, {"kind": "school"}, name="school_compute"),
    path("school/<slug:code>/<int:year>/report.<str:fmt>", views.download, {"kind": "school"},
         name="school_download"),
    path("school/<slug:code>/<int:year>/appraisal/", views.appraisal, {"kind": "school"}, name="school_appraisal"),
    path("school/<slug:code>/<int:year>/appraisal.<str:fmt>", views.appraisal_download, {"kind": "school"},
         name="school_appraisal_download"),
]
