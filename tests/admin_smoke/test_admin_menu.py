"""Every admin menu entry a role is shown opens for that role, with and without a search.

The entries come from Wagtail's menu registry (the register_admin_menu_item and
register_settings_menu_item hooks, submenus included), so an app's new menu
item is opened here as soon as it is registered. What the menu shows a role
must render for it: never a server error, never a refusal, never the login page.
"""

from __future__ import annotations

import pytest
from django.test import RequestFactory
from django.urls import reverse
from wagtail.admin.menu import SubmenuMenuItem, admin_menu

from .test_admin_views import ROLES, SEARCH

pytestmark = pytest.mark.django_db


def shown_urls(menu, request) -> list[tuple[str, str]]:
    urls = []
    for item in menu.menu_items_for_request(request):
        if isinstance(item, SubmenuMenuItem):
            urls += shown_urls(item.menu, request)
        elif item.url.startswith("/"):  # not the help menu's links to wagtail.org
            urls.append((item.name, item.url))
    return urls


@pytest.mark.parametrize("role", ROLES)
def test_every_menu_entry_shown_to_a_role_opens(client, world, smoke_objects, role):
    user = world.role(role)
    request = RequestFactory().get(reverse("wagtailadmin_home"))
    request.user = user
    urls = shown_urls(admin_menu, request)
    # District admins may enter the admin, but today no menu entry is shown to them.
    assert urls or role == "district_admin", f"{role} sees no admin menu"
    client.force_login(user)
    failures = []
    for name, url in urls:
        for query in ({}, {"q": SEARCH}):
            response = client.get(url, query, follow=True)
            chain = [status for _, status in response.redirect_chain]
            login = response.request["PATH_INFO"] == reverse("wagtailadmin_login")
            if response.status_code != 200 or login or 500 in chain:
                failures.append(f"{name} {url} {query}: {response.status_code} via {response.redirect_chain}")
    assert not failures, f"{role}: " + "; ".join(failures)
