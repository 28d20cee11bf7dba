"""A URL configuration with one view that fails, for the error-reporting tests."""

from django.urls import path


class OperatorShouldHearAboutThis(Exception):
    pass


def broken(request):
    raise OperatorShouldHearAboutThis("the view broke on purpose")


urlpatterns = [path("broken/", broken, name="broken")]
