"""System checks that keep H5P content off the site's own origin."""

from shixun.assessments.h5p.checks import check_content_origin

MIDDLEWARE = "shixun.assessments.h5p.middleware.ContentOriginMiddleware"


def ids(settings):
    return {problem.id for problem in check_content_origin()}


def test_a_wired_content_origin_passes(settings):
    settings.MIDDLEWARE = [MIDDLEWARE, *settings.MIDDLEWARE]
    settings.SHIXUN_H5P_CONTENT_ORIGIN = "https://h5p.example.org"
    settings.SHIXUN_CSP_FRAME_SRC = ["https://h5p.example.org"]
    settings.WAGTAILADMIN_BASE_URL = "https://www.example.org"
    assert ids(settings) == set()


def test_missing_middleware_misplaced_middleware_and_csp_are_reported(settings):
    settings.MIDDLEWARE = [m for m in settings.MIDDLEWARE if m != MIDDLEWARE]
    settings.SHIXUN_CSP_FRAME_SRC = []
    assert ids(settings) == {"shixun_h5p.W001", "shixun_h5p.W003"}
    settings.MIDDLEWARE = [*settings.MIDDLEWARE, MIDDLEWARE]
    assert "shixun_h5p.W002" in ids(settings)


def test_content_on_the_site_origin_is_an_error(settings):
    settings.SHIXUN_H5P_CONTENT_ORIGIN = "https://www.example.org"
    settings.WAGTAILADMIN_BASE_URL = "https://www.example.org"
    assert "shixun_h5p.E001" in ids(settings)


def test_a_cookie_domain_that_covers_the_content_host_is_an_error(settings):
    settings.SHIXUN_H5P_CONTENT_ORIGIN = "https://h5p.example.org"
    settings.WAGTAILADMIN_BASE_URL = "https://www.example.org"
    settings.SESSION_COOKIE_DOMAIN = ".example.org"
    assert "shixun_h5p.E002" in ids(settings)
    settings.SESSION_COOKIE_DOMAIN = None
    settings.CSRF_COOKIE_DOMAIN = "example.org"
    assert "shixun_h5p.E002" in ids(settings)
    settings.CSRF_COOKIE_DOMAIN = "www.example.org"  # the site's own host only: never sent to h5p.
    assert "shixun_h5p.E002" not in ids(settings)
