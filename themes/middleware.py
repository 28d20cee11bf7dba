"""Security headers Django does not set by itself.

The Content-Security-Policy applies to the learner-facing site. Wagtail's
admin relies on inline scripts and is left to its own defaults.
"""

from django.conf import settings


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
        frame_src = " ".join(["'self'", *getattr(settings, "SHIXUN_CSP_FRAME_SRC", [])])
        return "; ".join(
            [
                "default-src 'self'",
                "script-src 'self'",
                "style-src 'self' 'unsafe-inline'",
                "img-src 'self' data: blob:",
                "media-src 'self' blob:",
                f"frame-src {frame_src}",
                "frame-ancestors 'self'",
                "object-src 'none'",
                "base-uri 'self'",
                "form-action 'self'",
            ]
        )
