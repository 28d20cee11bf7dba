"""Keep Wagtail's page tree root, default locale and default site present.

Wagtail creates them in a data migration. A database flush (Django's
TransactionTestCase and pytest's transactional tests flush after each test)
deletes them, and every later test in that process would then run against a
site with no root page. flush emits post_migrate, so recreating them here
repairs the tree the same way for every app instead of in each test helper.
"""

from django.conf import settings


def ensure_wagtail_tree(**kwargs) -> None:
    from django.contrib.contenttypes.models import ContentType
    from wagtail.coreutils import get_supported_content_language_variant
    from wagtail.models import Locale, Page, Site

    if Site.objects.exists():
        return
    # A flush also deleted the content types; the cache still holds their old ids.
    ContentType.objects.clear_cache()
    if not Locale.objects.exists():
        Locale.objects.create(language_code=get_supported_content_language_variant(settings.LANGUAGE_CODE))
    root = Page.get_first_root_node()
    if root is None:
        root = Page.add_root(instance=Page(title="Root", slug="root", locale=Locale.get_default()))
    if not Site.objects.exists():
        home = root.get_first_child()
        if home is None:
            home = root.add_child(instance=Page(title="Shixun", slug="home", locale=Locale.get_default()))
        Site.objects.create(hostname="localhost", port=80, root_page=home, is_default_site=True)
