"""What a host Wagtail site adds to its settings to install Shixun (README, "Install into an existing Wagtail site").

The standalone site's settings (shixun.config.settings) list the same apps and
middleware; a host keeps its own and adds these with the helpers below.
"""

# Shixun's own apps.
SHIXUN_APPS = [
    "shixun.config",
    "shixun.accounts",
    "shixun.courses",
    "shixun.assessments.uploads",
    "shixun.assessments.quizzes",
    "shixun.assessments.assignments",
    "shixun.assessments.h5p",
    "shixun.assessments.evaluations",
    "shixun.attendance",
    "shixun.transcripts",
    "shixun.schools",
    "shixun.inbox",
    "shixun.shadowing",
    "shixun.reports",
    "shixun.themes",
]
# Other apps Shixun needs; added only when the host does not have them already.
SHIXUN_REQUIRED_APPS = ["wagtail.contrib.settings", "django.contrib.humanize", "django_q", "axes"]
# Replaces wagtail.users so the admin's user forms know Shixun's fields.
SHIXUN_USERS_APP = "shixun.accounts.apps.UsersAppConfig"

SHIXUN_CONTEXT_PROCESSORS = [
    "django.template.context_processors.i18n",
    "wagtail.contrib.settings.context_processors.settings",
    "shixun.themes.context_processors.shixun",
]


def with_shixun_apps(installed_apps):
    """The host's INSTALLED_APPS with Shixun's apps first (their templates win) and what they need."""
    host = [app for app in installed_apps if app not in ("wagtail.users", SHIXUN_USERS_APP)]
    missing = [app for app in SHIXUN_REQUIRED_APPS if app not in host]
    return [*SHIXUN_APPS, SHIXUN_USERS_APP, *host, *missing]


# Login throttling (django-axes; shixun.accounts.throttling): checks every login before the real backends.
AXES_BACKEND = "axes.backends.AxesStandaloneBackend"
AXES_MIDDLEWARE = "axes.middleware.AxesMiddleware"
STAFF_NUMBER_BACKEND = "shixun.accounts.backends.UsernameOrStaffNumberBackend"


def with_shixun_backends(backends=None, *, staff_number_login=False):
    """AUTHENTICATION_BACKENDS with login throttling first (the host's own, or Django's default, after it).

    staff_number_login: teachers may also log in with their staff number (工号).
    """
    if backends is None:
        from django.conf import global_settings

        backends = global_settings.AUTHENTICATION_BACKENDS
    rest = [backend for backend in backends if backend != AXES_BACKEND]
    if staff_number_login and STAFF_NUMBER_BACKEND not in rest:
        rest = [STAFF_NUMBER_BACKEND, *rest]
    return [AXES_BACKEND, *rest]


def with_shixun_middleware(middleware, *, first_login=True, security_headers=True):
    """The host's MIDDLEWARE with Shixun's entries in the places they need.

    first_login: teachers given a one-time password must choose their own before anything else.
    security_headers: Shixun's Content-Security-Policy (frame-src holds the H5P content origin).
    """
    auth = "django.contrib.auth.middleware.AuthenticationMiddleware"
    if auth not in middleware:
        raise ValueError(f"Shixun needs {auth} in MIDDLEWARE")
    # First: requests to the H5P content host are answered from H5P content alone.
    result = ["shixun.assessments.h5p.middleware.ContentOriginMiddleware"]
    for entry in middleware:
        result.append(entry)
        if entry == auth:
            result.append("shixun.schools.printable_passwords.PurgeExpiredPasswordsMiddleware")
            if first_login:
                result.append("shixun.accounts.first_login.FirstLoginMiddleware")
    if security_headers:
        result.append("shixun.themes.middleware.SecurityHeadersMiddleware")
    # Last, as axes asks: it turns a locked-out login into Shixun's lockout page.
    if AXES_MIDDLEWARE not in result:
        result.append(AXES_MIDDLEWARE)
    return result
