"""Security headers Django does not set by itself.

The Content-Security-Policy applies to the learner-facing site. Wagtail's
admin relies on inline scripts and is left to its own defaults.
"""

from django.utils.functional import SimpleLazyObject, empty
from wagtail.views import serve as wagtail_serve

from shixun.config.conf import shixun_settings

from .site_cache import prime_route, prime_site


class SecurityHeadersMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        response.headers.setdefault("Permissions-Policy", "camera=(), microphone=(), geolocation=(), payment=()")
        if not request.path.startswith(("/admin/", "/django-admin/")):
            response.headers.setdefault("Content-Security-Policy", self.content_security_policy())
        return response

    @staticmethod
    def content_security_policy() -> str:
        frame_src = " ".join(
            ["'self'", *shixun_settings.SHIXUN_CSP_FRAME_SRC, *shixun_settings.SHIXUN_CSP_VIDEO_FRAME_SRC]
        )
        return "; ".join(
            [
                "default-src 'self'",
                "script-src 'self'",
                "style-src 'self' 'unsafe-inline'",
                "img-src 'self' data: blob:",
                " ".join(["media-src 'self' blob:", *shixun_settings.SHIXUN_CSP_MEDIA_SRC]),
                f"frame-src {frame_src}",
                "frame-ancestors 'self'",
                "object-src 'none'",
                "base-uri 'self'",
                "form-action 'self'",
            ]
        )


class CachedSiteMiddleware:
    """Hands Wagtail the request's Site from the cache (site_cache.py), saving its Site query on page views.

    Only GET and HEAD, only on a cache hit: POSTs (xAPI statements, quiz
    submits) and a cold cache cost nothing extra here; the page's context
    processor fills the cache after Wagtail looked the Site up itself.

    For a Wagtail page view, the route too (site_cache.prime_route): asked
    in process_view, once the URL is known to be a page's, so other views
    cost no cache read.

    On the same requests, `request.user` becomes the user object itself once it
    is first read (`user_itself_once_read`). Here rather than in a middleware of its
    own: this one already sits after AuthenticationMiddleware, and the lean routes
    list every middleware of the stack (config.lean_routes).
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.method in ("GET", "HEAD"):
            prime_site(request)
            user_itself_once_read(request)
        return self.get_response(request)

    def process_view(self, request, view_func, view_args, view_kwargs):
        if view_func is wagtail_serve and request.method in ("GET", "HEAD"):
            path = view_kwargs.get("path", view_args[0] if view_args else None)
            if path is not None:
                prime_route(request, path)


def user_itself_once_read(request) -> None:
    """Let `request.user` be the user object itself from its first read on, still loaded only when read.

    AuthenticationMiddleware's `request.user` is a SimpleLazyObject, and every attribute read through it
    raises and catches an AttributeError before reaching the user (LazyObject.__getattribute__): a page reads
    the user a hundred times or so (its view, the header's roles and the permission checks of its entries),
    and those reads were about a third of the header's context processor. The same loader runs at the same
    moment (the first read), so a request that never reads the user still loads nothing. Whatever replaced
    `request.user` meanwhile (login, logout) is left as it is; a reference to the lazy object taken before
    the first read keeps working as before.
    """
    lazy = getattr(request, "user", None)
    if type(lazy) is not SimpleLazyObject:
        return

    def read():
        if lazy._wrapped is empty:
            lazy._setup()
        user = lazy._wrapped
        if request.__dict__.get("user") is proxy:
            request.user = user
        return user

    proxy = request.user = SimpleLazyObject(read)
