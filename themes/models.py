from django.core.validators import RegexValidator
from django.db import models
from django.utils.translation import gettext_lazy as _
from wagtail.admin.panels import FieldPanel
from wagtail.contrib.settings.models import BaseSiteSetting, register_setting

colour_validator = RegexValidator(
    r"^#[0-9a-fA-F]{6}$", _("Enter a colour as # followed by six hexadecimal digits, e.g. #1a5fb4.")
)


@register_setting(icon="image")
class BrandingSettings(BaseSiteSetting):
    """Per-site branding: each district's site can carry its own name and colours."""

    site_name = models.CharField(_("site name"), max_length=60, default="师训 · 教师继续教育")
    site_name_en = models.CharField(
        _("English site name"), max_length=60, blank=True, help_text=_("Shown on English pages; empty: the site name.")
    )
    logo = models.ForeignKey(
        "wagtailimages.Image",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("logo"),
    )
    primary_colour = models.CharField(
        _("primary colour"), max_length=7, default="#1a5fb4", validators=[colour_validator]
    )
    footer_text = models.CharField(_("footer text"), max_length=200, blank=True)

    panels = [
        FieldPanel("site_name"), FieldPanel("site_name_en"), FieldPanel("logo"), FieldPanel("primary_colour"),
        FieldPanel("footer_text"),
    ]

    class Meta:
        verbose_name = _("branding")
