"""The Wagtail Site and its branding for a host, from the shared cache instead of two queries per request.

Every learner page needs both: Wagtail looks the Site up by host name to route
the page, and base.html shows the site's name, colour, logo and footer. They
change only when an administrator edits a site, its branding, an image or the
page tree, so they are kept in the cache under one key, a dict by
"host:port", and that key is deleted whenever one of those changes (see
receivers.py). A request then costs one cache read for both.

Deleting the whole dict (not one host's entry) keeps invalidation simple and
always right: the next request of each host refills its own entry with two
queries. The entry also expires after ENTRY_SECONDS, which bounds the only
stale case: a reader that loaded the old rows just before an edit committed
and wrote them back just after the edit's delete.

The Wagtail route of a page view (the page a path leads to, with its parents)
is kept too, for page types that say their route depends on nothing but the
path (`shixun_route_cacheable`, the catalogue and course pages): Wagtail's
routing is one or two queries per level of the path. Each site entry gets a
random `routes` token when it is built, and a route's key holds it, so
whatever forgets the sites (any page saved, deleted or moved: a publish, an
unpublish, a new module) makes every cached route unreachable at once. A
route is only where the page is: Wagtail's view-restriction check and the
page's own serve still run on every request.

Rows read inside a transaction are cached only once it has committed
(`transaction.on_commit`, then `reads_are_committed`; at once in autocommit,
as learner pages run): what a rolled-back transaction saw must never be
served afterwards. A test case runs inside a transaction that is rolled
back, even when it runs its on-commit callbacks, so no test leaves its site
in the cache for the next.
"""

import hashlib
import pickle
import uuid

from django.core.cache import cache
from django.db import connection, transaction
from django.http.request import split_domain_port
from django.utils.translation import get_language
from wagtail.models import Site

CACHE_KEY = "shixun:themes:sites"
ROUTE_KEY = "shixun:themes:route"
ENTRY_SECONDS = 600


def host_key(request) -> str:
    # The same host and port Wagtail matches sites with (Site._find_for_request).
    hostname = split_domain_port(request._get_raw_host())[0]
    return f"{hostname}:{request.get_port()}"


def _branding_for(site) -> dict:
    """What base.html shows, as plain values: no model instance or image query at render time."""
    from .models import BrandingSettings

    branding = BrandingSettings.for_site(site) if site is not None else BrandingSettings()
    logo = None
    if branding.logo_id:
        try:
            rendition = branding.logo.get_rendition("height-40")
        except Exception:  # noqa: BLE001 (a missing or broken image file: show the name without a logo)
            rendition = None
        if rendition is not None:
            logo = {"url": rendition.url, "width": rendition.width, "height": rendition.height}
    return {
        "site_name": branding.site_name,
        "site_name_en": branding.site_name_en,
        "primary_colour": branding.primary_colour,
        "footer_text": branding.footer_text,
        "logo": logo,
    }


def site_context(request) -> dict:
    """{"site": Site or None, "branding": dict} for this request's host; cached, and memoised on the request."""
    if hasattr(request, "_shixun_site_context"):
        return request._shixun_site_context
    key = host_key(request)
    entries = cache.get(CACHE_KEY) or {}
    entry = entries.get(key)
    if entry is None:
        site = Site.find_for_request(request)
        entry = {
            "site": site, "branding": _branding_for(site), "routes": uuid.uuid4().hex,
            "root_paths": Site.get_site_root_paths(),
        }
        transaction.on_commit(lambda: _remember(key, entry))
    else:
        _give_wagtail(request, entry)
    request._shixun_site_context = entry
    return entry


def prime_site(request) -> None:
    """Give Wagtail this host's Site from the cache, if it is there; never queries."""
    if hasattr(request, "_shixun_site_context"):
        return
    entry = (cache.get(CACHE_KEY) or {}).get(host_key(request))
    if entry is not None:
        request._shixun_site_context = entry
        _give_wagtail(request, entry)


def _give_wagtail(request, entry: dict) -> None:
    """Wagtail's own per-request memos, from the cached entry: routing, settings and page URLs use its Site, and
    page URLs its site root paths (Wagtail's `Site.get_site_root_paths()`, otherwise one more cache read per
    request that builds a page's URL). The entry is forgotten whenever a site or any page changes (receivers.py),
    a superset of when Wagtail forgets its root paths (a site, or a site's root page, saved or deleted)."""
    if not hasattr(request, "_wagtail_site"):
        request._wagtail_site = entry["site"]
    if "root_paths" in entry and not hasattr(request, "_wagtail_cached_site_root_paths"):
        request._wagtail_cached_site_root_paths = entry["root_paths"]


def _route_key(request, path: str) -> str | None:
    entry = getattr(request, "_shixun_site_context", None)
    if entry is None or not entry.get("routes"):
        return None
    # The language too: with Wagtail's i18n on (a host site's choice), routing starts from the root page's
    # translation for the active locale.
    digest = hashlib.blake2b(f"{host_key(request)} {get_language()} {path}".encode(), digest_size=16).hexdigest()
    return f"{ROUTE_KEY}:{entry['routes']}:{digest}"


def prime_route(request, path: str) -> None:
    """Give Wagtail's serve view the route of `path` from the cache, if it is there; else mark it to be kept."""
    if hasattr(request, "_wagtail_route_for_request"):
        return
    key = _route_key(request, path)
    if key is None:
        return
    snapshot = cache.get(key)
    if snapshot is not None:
        request._wagtail_route_for_request = pickle.loads(snapshot)  # noqa: S301 (written by remember_route)
    else:
        request._shixun_route_key = key


def remember_route(request, page, args, kwargs) -> None:
    """Keep the route Wagtail just found (before_serve_page: before the page has served anybody)."""
    key = getattr(request, "_shixun_route_key", None)
    if key is None or not getattr(page, "shixun_route_cacheable", False) or args or kwargs:
        return
    del request._shixun_route_key
    # Pickled now, as the route is before the page serves: written on commit (at the end of the request if
    # it runs in a transaction), it must not carry what serving left on the page (read blocks, a learner's).
    try:
        snapshot = pickle.dumps(request._wagtail_route_for_request)
    except (pickle.PicklingError, TypeError, AttributeError):  # something on the page cannot be kept: route anew
        return
    transaction.on_commit(lambda: _remember_route(key, snapshot))


def _remember_route(key: str, snapshot: bytes) -> None:
    if reads_are_committed():
        cache.set(key, snapshot, ENTRY_SECONDS)


def reads_are_committed() -> bool:
    """True after a real commit or in autocommit; False inside a transaction (a test case's included)."""
    return not connection.in_atomic_block


def _remember(key: str, entry: dict) -> None:
    if not reads_are_committed():
        return
    entries = dict(cache.get(CACHE_KEY) or {})
    entries[key] = entry
    cache.set(CACHE_KEY, entries, ENTRY_SECONDS)


def forget_sites() -> None:
    """Drop every cached site and branding; called when the models they are made of change (receivers.py)."""
    cache.delete(CACHE_KEY)
    # Again once the change commits: a request that read the old rows in between must not keep them.
    transaction.on_commit(lambda: cache.delete(CACHE_KEY))
