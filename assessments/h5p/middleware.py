"""The content origin: a second host name that serves H5P files and nothing else.

H5P libraries are JavaScript written by whoever made the package. Served
from the site's own origin they could read the learner's session and act on
the site as them, so they are served from a separate origin
(SHIXUN_H5P_CONTENT_ORIGIN, e.g. http://h5p.shixun.localhost:8000 while the
site is http://shixun.localhost:8000: one server, the Host header decides).
A sub-domain of the site's host keeps the player same-site, so browsers give
it the storage H5P core uses; the site's cookies are host-only and never
reach it.

This middleware must come first in MIDDLEWARE. For a request to the
content host it answers from `assessments.h5p.content_urls` alone and
returns without running the rest of the stack: no session is read, no
cookie is set, no site page is reachable (everything else is 404).
Requests to any other host pass through untouched.
"""

from django.conf import settings
from django.core.exceptions import DisallowedHost
from django.http import Http404, HttpResponseNotAllowed, HttpResponseNotFound, HttpResponseRedirect
from django.http.request import split_domain_port
from django.urls import Resolver404, resolve

from .links import content_netloc

CONTENT_URLCONF = "shixun.assessments.h5p.content_urls"


def is_content_host(request) -> bool:
    try:
        host = request.get_host()
    except DisallowedHost:
        return False
    domain, port = split_domain_port(host)
    port_number = int(port) if port else (443 if request.is_secure() else 80)
    expected_domain, expected_port = content_netloc()
    return domain.strip("[]") == expected_domain.strip("[]") and port_number == expected_port


class ContentOriginMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if not is_content_host(request):
            return self.get_response(request)
        response = self.serve_content(request)
        # Belt and braces: nothing on the content origin may carry a cookie.
        response.cookies.clear()
        if "Set-Cookie" in response.headers:
            del response.headers["Set-Cookie"]
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("Referrer-Policy", "no-referrer")
        return response

    def serve_content(self, request):
        if request.method not in ("GET", "HEAD"):
            return HttpResponseNotAllowed(["GET", "HEAD"])
        if request.path_info == "/":
            # A person who typed the content host's address (in `make demo`,
            # http://h5p.shixun.localhost:8000) is sent to the site instead of a bare 404.
            # The target is fixed, so this is no open redirect.
            return HttpResponseRedirect(settings.WAGTAILADMIN_BASE_URL.rstrip("/") + "/")
        try:
            match = resolve(request.path_info, urlconf=CONTENT_URLCONF)
        except Resolver404:
            return HttpResponseNotFound("Not found", content_type="text/plain")
        try:
            return match.func(request, *match.args, **match.kwargs)
        except Http404:
            return HttpResponseNotFound("Not found", content_type="text/plain")
