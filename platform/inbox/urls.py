from django.urls import path

from . import views

app_name = "inbox"
urlpatterns = [
    path("", views.inbox, name="inbox"),
    path("<int:message_id>/", views.open_message, name="message"),
    path("read-all/", views.read_all, name="read_all"),
]
