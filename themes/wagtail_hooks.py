"""Wagtail hooks of the themes app."""

from wagtail import hooks

from .site_cache import remember_route


@hooks.register("before_serve_page")
def keep_the_route(page, request, args, kwargs):
    # The route as Wagtail found it, before the page serves anybody: nothing of a learner rides along.
    remember_route(request, page, args, kwargs)
