"""The site's URLs plus the baseline: a Django view that runs exactly one query.

The baseline goes through the same gunicorn, middleware stack (sessions,
CSRF, auth, security headers) and database connection as every Shixun page,
so the ratio between the two measures Shixun's own work and nothing else.
"""

from django.db import connection
from django.http import HttpResponse
from django.urls import path

from shixun.config.urls import urlpatterns as site_urlpatterns


def one_query(request):
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        cursor.fetchone()
    return HttpResponse(b"ok", content_type="text/plain")


urlpatterns = [path("bench/one-query/", one_query, name="bench_one_query"), *site_urlpatterns]
