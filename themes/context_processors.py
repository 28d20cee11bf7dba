from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from shixun.accounts.people import profile_of
from shixun.config.conf import shixun_settings


def shixun(request):
    """Branding and navigation for the header, by role, so every page shows the same way home."""
    from .site_cache import site_context

    user = getattr(request, "user", None)
    nav = []
    if user is not None and user.is_authenticated:
        from shixun.accounts.roles import learner_home_url

        nav.append((learner_home_url(), _("My learning")))
        nav.append((reverse("transcripts:mine"), _("My transcript")))
        # A redirect to this site's catalogue: finding the page here would cost a query on every page.
        nav.append((reverse("courses:catalogue"), _("Course catalogue")))
        if profile_of(user).is_school_admin:
            nav.append((reverse("schools:school_dashboard", args=[profile_of(user).school.code]), _("My school")))
        if profile_of(user).is_district_admin:
            nav.append((reverse("schools:district_dashboard", args=[profile_of(user).district.code]), _("My district")))
            nav.append((reverse("transcripts:rules"), _("Credit requirements")))
            nav.append((reverse("transcripts:study_review"), _("Study review")))
        if profile_of(user).is_school_admin or profile_of(user).is_district_admin:
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
        if user.is_superuser or profile_of(user).is_trainer or profile_of(user).is_reviewer:
            nav.append((reverse("wagtailadmin_home"), _("Course admin")))
        unread = profile_of(user).unread_messages
        inbox_label = _("Messages (%(count)s unread)") % {"count": unread} if unread else _("Messages")
        nav.append((reverse("inbox:inbox"), inbox_label))
        nav.append((reverse("accounts:profile"), _("My account")))
    return {
        "shixun_nav": nav,
        "shixun_branding": site_context(request)["branding"],
        # The template every Shixun page extends (themes/templates/shixun/base.html).
        "shixun_base_template": shixun_settings.SHIXUN_BASE_TEMPLATE,
    }
