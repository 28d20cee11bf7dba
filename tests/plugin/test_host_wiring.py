"""The pieces a host site uses (shixun.config.conf, .host, SHIXUN_BASE_TEMPLATE), in this site's own suite."""

import pytest
from django.template import Template
from django.test import override_settings

from shixun.config.conf import DEFAULTS, shixun_settings
from shixun.config.host import SHIXUN_APPS, with_shixun_apps, with_shixun_backends, with_shixun_middleware

# INSTALLED_APPS and MIDDLEWARE of a site made by `wagtail start` (Wagtail 7.4 and 8.0).
WAGTAIL_START_APPS = [
    "home", "search", "wagtail.contrib.forms", "wagtail.contrib.redirects", "wagtail.embeds", "wagtail.sites",
    "wagtail.users", "wagtail.snippets", "wagtail.documents", "wagtail.images", "wagtail.search", "wagtail.admin",
    "wagtail", "modelcluster", "taggit", "django_filters", "django.contrib.admin", "django.contrib.auth",
    "django.contrib.contenttypes", "django.contrib.sessions", "django.contrib.messages", "django.contrib.staticfiles",
]
WAGTAIL_START_MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "wagtail.contrib.redirects.middleware.RedirectMiddleware",
]


def test_a_setting_the_site_leaves_out_takes_shixuns_default(settings):
    # Through pytest-django's fixture (override_settings underneath): settings are not changed at run time
    # otherwise (Django's rule), and shixun_settings keeps what it read while the settings stay the same.
    settings.SHIXUN_QUIZ_GRACE_SECONDS = 5
    assert shixun_settings.SHIXUN_QUIZ_GRACE_SECONDS == 5
    del settings.SHIXUN_QUIZ_GRACE_SECONDS
    assert shixun_settings.SHIXUN_QUIZ_GRACE_SECONDS == DEFAULTS["SHIXUN_QUIZ_GRACE_SECONDS"] == 20


def test_an_unknown_shixun_setting_is_refused():
    with pytest.raises(AttributeError):
        shixun_settings.SHIXUN_NO_SUCH_SETTING  # noqa: B018


def test_host_apps_replace_wagtail_users_and_add_what_shixun_needs_once():
    apps = with_shixun_apps(WAGTAIL_START_APPS)
    assert "wagtail.users" not in apps
    assert "shixun.accounts.apps.UsersAppConfig" in apps
    assert set(SHIXUN_APPS) | {"django_q", "wagtail.contrib.settings", "django.contrib.humanize", "axes"} <= set(apps)
    assert len(apps) == len(set(apps))
    assert apps[: len(SHIXUN_APPS)] == SHIXUN_APPS  # Shixun's templates win over the host's apps'
    # A host that already has one of them keeps a single entry.
    assert with_shixun_apps([*WAGTAIL_START_APPS, "django_q"]).count("django_q") == 1


def test_host_middleware_puts_shixuns_entries_where_they_need_to_run():
    middleware = with_shixun_middleware(WAGTAIL_START_MIDDLEWARE)
    assert middleware[0] == "shixun.assessments.h5p.middleware.ContentOriginMiddleware"
    auth = middleware.index("django.contrib.auth.middleware.AuthenticationMiddleware")
    assert middleware.index("shixun.accounts.first_login.FirstLoginMiddleware") > auth
    assert middleware.index("shixun.schools.printable_passwords.PurgeExpiredPasswordsMiddleware") > auth
    assert "shixun.themes.middleware.SecurityHeadersMiddleware" in middleware
    bare = with_shixun_middleware(WAGTAIL_START_MIDDLEWARE, first_login=False, security_headers=False)
    assert "shixun.accounts.first_login.FirstLoginMiddleware" not in bare
    assert "shixun.themes.middleware.SecurityHeadersMiddleware" not in bare
    assert middleware[-1] == "axes.middleware.AxesMiddleware"  # last, as django-axes asks
    assert bare[-1] == "axes.middleware.AxesMiddleware"
    with pytest.raises(ValueError):
        with_shixun_middleware(["django.contrib.sessions.middleware.SessionMiddleware"])


def test_host_backends_put_login_throttling_first():
    default = ["axes.backends.AxesStandaloneBackend", "django.contrib.auth.backends.ModelBackend"]
    assert with_shixun_backends() == default
    with_staff_numbers = with_shixun_backends(["host.Backend"], staff_number_login=True)
    assert with_staff_numbers == [
        "axes.backends.AxesStandaloneBackend", "shixun.accounts.backends.UsernameOrStaffNumberBackend", "host.Backend"
    ]
    assert with_shixun_backends(with_staff_numbers) == with_staff_numbers  # applying it twice changes nothing


def test_the_sites_own_settings_have_the_same_throttling_wiring():
    from django.conf import settings

    assert settings.AUTHENTICATION_BACKENDS[0] == "axes.backends.AxesStandaloneBackend"
    assert settings.MIDDLEWARE[-1] == "axes.middleware.AxesMiddleware"
    assert settings.AXES_HANDLER == "shixun.accounts.axes_handler.ShixunAxesHandler"


@pytest.mark.django_db
def test_shixun_pages_use_shixuns_theme_by_default(client):
    page = client.get("/accounts/login/")
    assert page.status_code == 200
    assert 'class="site-header"' in page.content.decode()


@pytest.mark.django_db
def test_shixun_pages_extend_the_base_template_a_host_names(client):
    host_base = Template("<body>HOST SITE{% block content %}{% endblock %}</body>")
    with override_settings(SHIXUN_BASE_TEMPLATE=host_base):
        page = client.get("/accounts/login/")
    html = page.content.decode()
    assert page.status_code == 200
    assert html.startswith("<body>HOST SITE")
    assert 'class="site-header"' not in html
    assert 'name="password"' in html  # the login page's own content, inside the host's template
