"""Invalidation of the cached sites and branding (site_cache.py): whatever they are made of changes, they go."""

from django.db.models.signals import post_delete, post_migrate, post_save
from wagtail.images.models import AbstractImage
from wagtail.models import Page, Site
from wagtail.signals import post_page_move

from .models import BrandingSettings
from .site_cache import forget_sites

# A site's root page is cached with its Site (Wagtail routes from it): any
# page saved, deleted or moved forgets the cache, which is rare next to page
# views. Images: the logo's rendition URL is cached.
MADE_OF = (Site, BrandingSettings, AbstractImage, Page)


def forget_sites_on_change(sender, instance, **kwargs):
    # Connected without a sender: page and image saves are sent with their
    # concrete class as sender (CoursePage, CustomImage, ...). Raw saves
    # (loaddata) forget too: forgetting writes nothing to the database.
    if not isinstance(instance, MADE_OF):
        return
    forget_sites()


def forget_sites_on_move(sender, **kwargs):
    forget_sites()


def forget_sites_after_migrate(sender, **kwargs):
    # Also sent after a flush (transactional test cases empty the tables
    # without a delete signal per row): the cached rows may be gone.
    forget_sites()


def connect() -> None:
    post_migrate.connect(forget_sites_after_migrate, dispatch_uid="shixun_themes_forget_sites_migrated")
    post_save.connect(forget_sites_on_change, dispatch_uid="shixun_themes_forget_sites_saved")
    post_delete.connect(forget_sites_on_change, dispatch_uid="shixun_themes_forget_sites_deleted")
    post_page_move.connect(forget_sites_on_move, dispatch_uid="shixun_themes_forget_sites_moved")
