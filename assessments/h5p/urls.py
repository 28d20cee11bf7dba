from django.urls import path

from . import views

app_name = "h5p"

urlpatterns = [
    path("xapi/", views.xapi, name="xapi"),
    path("results/", views.results_index, name="results"),
    path("results/<int:pk>/", views.results_detail, name="results_detail"),
]
