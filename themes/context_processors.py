from django.conf import settings
from django.urls import NoReverseMatch
from django.utils.translation import get_language_info
from django.utils.translation import gettext_lazy as _

from shixun.accounts.people import profile_of
from shixun.config.conf import shixun_settings
from shixun.config.reversing import reverser

# The language switch's entries by the codes of settings.LANGUAGES: what the template tags
# get_available_languages and get_language_info_list made on every page, built once.
_languages: dict[tuple, list] = {}


def _language_list() -> list:
    codes = tuple(code for code, _name in settings.LANGUAGES)
    found = _languages.get(codes)
    if found is None:
        found = _languages[codes] = [get_language_info(code) for code in codes]
    return found


class _ThemeUrls:
    """theme_base.html's links, reversed when the template reads them (as its {% url %} tags did)."""

    def __init__(self, reverse):
        self._reverse = reverse

    @property
    def home(self) -> str:
        try:  # `{% url 'home' as home_url %}`: "" when the site has no such page
            return self._reverse("home")
        except NoReverseMatch:
            return ""

    @property
    def set_language(self) -> str:
        return self._reverse("set_language")

    @property
    def logout(self) -> str:
        return self._reverse("accounts:logout")


def shixun(request):
    """Branding and navigation for the header, by role, so every page shows the same way home.

    Every URL here is reversed once per process (shixun.config.reversing: by URLconf, language and script
    prefix), as are theme_base.html's own links (`shixun_urls`) and its language list: the header is on
    every page, and reversing a dozen names was about a tenth of a light page's CPU.
    """
    from .site_cache import site_context

    user = getattr(request, "user", None)
    nav = []
    reverse = reverser()
    if user is not None and user.is_authenticated:
        profile = profile_of(user)
        from shixun.accounts.roles import learner_home_url

        nav.append((learner_home_url(reverse), _("My learning")))
        nav.append((reverse("transcripts:mine"), _("My transcript")))
        # A redirect to this site's catalogue: finding the page here would cost a query on every page.
        nav.append((reverse("courses:catalogue"), _("Course catalogue")))
        if profile.is_school_admin:
            nav.append((reverse("schools:school_dashboard", (profile.school.code,)), _("My school")))
        if profile.is_district_admin:
            nav.append((reverse("schools:district_dashboard", (profile.district.code,)), _("My district")))
            nav.append((reverse("transcripts:rules"), _("Credit requirements")))
            nav.append((reverse("transcripts:study_review"), _("Study review")))
        if profile.is_school_admin or profile.is_district_admin:
            nav.append((reverse("courses:manage"), _("Enrolment")))
        from shixun.courses.activities import activity_kinds

        # Activity kinds' results pages that ask to be in the header (the assignments' review queue).
        for kind in activity_kinds():
            entry = kind.results
            if entry is not None and entry.header_label and entry.shown_to(user):
                nav.append((reverse(entry.url_name), entry.header_label))
        from wagtail import hooks

        # Entries apps add for the people concerned (shadowing: 跟岗研修); each
        # must answer without a database query (shadowing/nav.py caches it).
        for entries in hooks.get_hooks("register_shixun_header_entries"):
            nav.extend(entries(user))
        if user.is_superuser or profile.is_trainer or profile.is_reviewer:
            nav.append((reverse("wagtailadmin_home"), _("Course admin")))
        unread = profile.unread_messages
        inbox_label = _("Messages (%(count)s unread)") % {"count": unread} if unread else _("Messages")
        nav.append((reverse("inbox:inbox"), inbox_label))
        nav.append((reverse("accounts:profile"), _("My account")))
    return {
        "shixun_nav": nav,
        "shixun_branding": site_context(request)["branding"],
        # The template every Shixun page extends (themes/templates/shixun/base.html).
        "shixun_base_template": shixun_settings.SHIXUN_BASE_TEMPLATE,
        # theme_base.html's own links and language switch (a host's base template may ignore them).
        "shixun_urls": _ThemeUrls(reverse),
        "shixun_languages": _language_list(),
    }
