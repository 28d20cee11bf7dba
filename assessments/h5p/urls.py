from django.urls import path  # noqa: F401

app_name = "h5p"

urlpatterns: list = []
