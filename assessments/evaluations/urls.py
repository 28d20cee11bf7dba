from django.urls import path

from . import views

app_name = "evaluations"

urlpatterns = [
    path("module/<int:module_id>/<int:template_id>/", views.answer, name="answer"),
    path("results/", views.results_page, name="results"),
    path("results/csv/", views.results_csv, name="results_csv"),
]
