"""themes.middleware.user_itself_once_read: `request.user` is the user itself from its first read on a GET.

The same loader (AuthenticationMiddleware's), at the same moment (the first read), with the same answer: only
the proxy in front of it goes once it has been read. Nothing is loaded when nothing reads the user; a login or
logout meanwhile is kept; a reference to the lazy object taken before the first read still works.
"""

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import AnonymousUser
from django.test import RequestFactory
from django.utils.functional import SimpleLazyObject

from shixun.themes.middleware import user_itself_once_read

pytestmark = pytest.mark.django_db


class Loader:
    """AuthenticationMiddleware's lazy user, with a count of its loads."""

    def __init__(self, user):
        self.user, self.loads = user, 0

    def __call__(self):
        self.loads += 1
        return self.user


def lazy_request(user):
    request = RequestFactory().get("/learn/")
    loader = Loader(user)
    request.user = SimpleLazyObject(loader)
    user_itself_once_read(request)
    return request, loader


def test_the_first_read_loads_the_user_once_and_leaves_the_user_itself(org):
    request, loader = lazy_request(org.teacher)
    assert loader.loads == 0
    assert request.user.is_authenticated
    assert type(request.user) is get_user_model()
    assert request.user is org.teacher
    assert request.user.pk == org.teacher.pk
    assert loader.loads == 1


def test_nothing_is_loaded_when_the_user_is_never_read(org):
    request, loader = lazy_request(org.teacher)
    request.path  # noqa: B018 (a view that answers without the user)
    assert loader.loads == 0
    assert type(request.user) is SimpleLazyObject  # still lazy until read


def test_an_anonymous_visitor_becomes_the_anonymous_user_itself():
    request, loader = lazy_request(AnonymousUser())
    assert not request.user.is_authenticated
    assert type(request.user) is AnonymousUser
    assert loader.loads == 1


def test_a_user_set_before_the_first_read_is_kept(org):
    """login() and logout() replace request.user; reading an earlier reference must not put the old one back."""
    request, loader = lazy_request(AnonymousUser())
    earlier = request.user
    request.user = org.teacher  # what django.contrib.auth.login does
    assert not earlier.is_authenticated  # the earlier reference still answers, from the same loader
    assert request.user is org.teacher
    assert loader.loads == 1


def test_a_reference_taken_before_the_first_read_keeps_working(org):
    request, loader = lazy_request(org.teacher)
    earlier = request.user
    assert request.user.pk == org.teacher.pk  # the first read, through request.user
    assert earlier.pk == org.teacher.pk and earlier == org.teacher
    assert loader.loads == 1


def test_a_user_that_is_not_lazy_is_left_alone(org):
    request = RequestFactory().get("/learn/")
    request.user = org.teacher
    user_itself_once_read(request)
    assert request.user is org.teacher


def test_a_signed_in_page_gets_the_user_itself_and_a_post_keeps_the_lazy_one(org, client):
    """Through the whole stack: GET and HEAD only (the middleware acts on those alone)."""
    client.force_login(org.teacher)
    response = client.get("/learn/")
    assert response.status_code == 200
    assert type(response.wsgi_request.user) is get_user_model()
    assert response.wsgi_request.user.pk == org.teacher.pk
    response = client.post("/learn/")
    assert type(response.wsgi_request.user) is SimpleLazyObject


def test_a_page_that_never_reads_the_user_does_not_load_it(org, client):
    """A signed-in session on a GET whose view never reads the user (set_language answers GET with a redirect):
    no query of the user table, as with Django's own lazy user."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext
    from django.urls import reverse

    client.force_login(org.teacher)
    table = get_user_model()._meta.db_table
    with CaptureQueriesContext(connection) as queries:
        response = client.get(reverse("set_language"))
    assert response.status_code in (302, 405)
    assert not [query for query in queries if f'"{table}"' in query["sql"]]
    with CaptureQueriesContext(connection) as queries:
        client.get("/learn/")
    assert [query for query in queries if f'"{table}"' in query["sql"]]  # the check above can see a user read
