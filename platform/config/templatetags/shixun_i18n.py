"""{% load shixun_i18n %} … {{ page|localised:"title" }}: see shixun.config.i18n."""

from django import template

from shixun.config.i18n import localised as _localised

register = template.Library()


@register.filter
def localised(obj, field: str):
    return _localised(obj, field)
