"""Demo branding: the default site's English name, so English pages show one (shixun.config.i18n)."""

SITE_NAME_EN = "Shixun · Teacher Continuing Education"


def seed(stdout):
    from wagtail.models import Site

    from .models import BrandingSettings

    site = Site.objects.filter(is_default_site=True).first()
    if site is None:
        return []
    branding = BrandingSettings.for_site(site)
    if not branding.site_name_en:
        branding.site_name_en = SITE_NAME_EN
        branding.save()
    stdout.write("Demo branding: English site name set")
    return []
