"""{% shixun_header %}: theme_base.html's header, rendered once per process for each variant of it.

The header is on every page, and rendering it (links, the language switch, the role's navigation, two CSRF
fields) was a good part of a light page's template time (bench/ANALYSIS.md, issue 18). What it shows depends on
the language, the site's branding, the theme's three links, the language list, whether someone is signed in,
the navigation entries (links and labels, already by role from the context processor) and which of them is the
current page: all of that is the key, so a change of any of it (a new branding, a role given, an unread message
counted in a label, another language or URL prefix) is a new key at once, with nothing to invalidate and nothing
of one person's header shown to another unless it is the very same HTML. The per-request parts, the CSRF token
(masked anew for each response) and the page's own path in the language switch, are put into the kept pieces.
Bounded and per process, like the course page's module list (a shared-cache round trip would cost about what
the rendering does).
"""

import secrets
import threading

from django import template
from django.template.defaulttags import CsrfTokenNode
from django.template.loader import render_to_string
from django.utils.html import conditional_escape
from django.utils.safestring import mark_safe
from django.utils.translation import get_language

from shixun.config.i18n import localised

register = template.Library()

TEMPLATE = "shixun/includes/header.html"
HEADER_ENTRIES = 1000
_headers: dict = {}
_lock = threading.Lock()
# Stand-ins rendered into the kept HTML where the per-request parts go; never shown (always replaced).
_TOKEN = f"csrf{secrets.token_hex(16)}"
_PATH = f"\x00path-{secrets.token_hex(8)}\x00"
_CSRF_FIELD = f'<input type="hidden" name="csrfmiddlewaretoken" value="{_TOKEN}">'


class _Request:
    """What the header reads of the request, with the full path a stand-in."""

    def __init__(self, path):
        self.path = path  # the current page's link, or None when the page is none of them

    def get_full_path(self):
        return _PATH


class _User:
    def __init__(self, authenticated):
        self.is_authenticated = authenticated


@register.simple_tag(takes_context=True)
def shixun_header(context):
    request = context.get("request")
    if request is None:  # a page rendered without a request (none of the learner pages): as the template says
        return mark_safe(render_to_string(TEMPLATE, context.flatten()).removesuffix("\n"))  # noqa: S308
    urls = context.get("shixun_urls")
    branding = context.get("branding") or {}
    user = context.get("user")
    nav = context.get("shixun_nav") or ()
    # Each entry as the template prints it (a label may be lazy, or already safe HTML).
    shown = tuple((url, str(conditional_escape(label))) for url, label in nav)
    path = request.path
    current = path if any(url == path for url, _label in nav) else None
    logo = branding.get("logo") or None
    key = (
        get_language(), context.get("LANGUAGE_CODE"),
        urls.home if urls is not None else None,
        urls.set_language if urls is not None else None,
        urls.logout if urls is not None else None,
        localised(branding, "site_name"), (logo["url"], logo["width"], logo["height"]) if logo else None,
        tuple((language["code"], language["name_local"]) for language in context.get("shixun_languages") or ()),
        bool(user is not None and user.is_authenticated), shown, current,
    )
    pieces = _headers.get(key)
    if pieces is None:
        pieces = _render(key, context, nav, current)
    csrf = CsrfTokenNode().render(context)  # Django's own field, with this response's masked token
    full_path = conditional_escape(request.get_full_path())
    html = [pieces[0]]
    for kind, piece in pieces[1]:
        html += [csrf if kind == "csrf" else full_path, piece]
    return mark_safe("".join(html))  # noqa: S308 (rendered and escaped by the template; the path escaped here)


def _render(key, context, nav, current):
    html = render_to_string(TEMPLATE, {
        "shixun_urls": context.get("shixun_urls"),
        "branding": context.get("branding"),
        "shixun_languages": context.get("shixun_languages"),
        "LANGUAGE_CODE": context.get("LANGUAGE_CODE"),
        "user": _User(key[-3]),
        "shixun_nav": nav,
        "request": _Request(current),  # its path only compared with the links: the current one, or none
        "csrf_token": _TOKEN,
    }).removesuffix("\n")
    # Split at each stand-in, in order: [first, [(kind, following text), ...]].
    parts, slots, rest = [], [], html
    while True:
        at = {kind: rest.find(mark) for kind, mark in (("csrf", _CSRF_FIELD), ("path", _PATH)) if mark in rest}
        if not at:
            break
        kind = min(at, key=at.get)
        mark = _CSRF_FIELD if kind == "csrf" else _PATH
        before, rest = rest[: at[kind]], rest[at[kind] + len(mark):]
        parts.append(before)
        slots.append(kind)
    parts.append(rest)
    pieces = (parts[0], tuple(zip(slots, parts[1:], strict=True)))
    with _lock:
        while len(_headers) >= HEADER_ENTRIES:
            _headers.pop(next(iter(_headers)))
        _headers[key] = pieces
    return pieces


def forget_headers() -> None:
    """Empty the kept headers (tests that compare a freshly rendered header with a kept one)."""
    with _lock:
        _headers.clear()
