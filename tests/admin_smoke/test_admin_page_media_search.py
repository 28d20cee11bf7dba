"""Trainers find pages, images and documents by any part of a Chinese title in Wagtail's admin.

Wagtail's database search backends split text into words at spaces, so 课标 found nothing
in 义务教育新课标解读. Shixun's backend (shixun.config.search) matches a Chinese query as
substrings and leaves every other query to Wagtail's backend. Each search below goes
through the real admin view over HTTP, as the real roles, on SQLite and PostgreSQL.
"""

from __future__ import annotations

import io

import pytest
from django.contrib.auth.models import Group, Permission
from django.core.files.base import ContentFile
from django.core.files.images import ImageFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from wagtail.documents import get_document_model
from wagtail.images import get_image_model
from wagtail.models import Collection, GroupCollectionPermission, Page

from tests.courses.conftest import make_catalogue, make_course, publish, site_root
from tests.factories import make_user
from tests.uploads.samples import photo

pytestmark = pytest.mark.django_db

CHINESE = "义务教育新课标解读"
ENGLISH = "Classroom Management Basics"
OTHER = "教师职业道德规范"
OUTSIDE = "新课标宣传栏"  # a page outside the catalogue: no trainer may explore it


@pytest.fixture
def pages(db):
    catalogue = make_catalogue()
    made = {title: make_course(catalogue, title) for title in (CHINESE, ENGLISH, OTHER)}
    made[OUTSIDE] = publish(site_root(), Page(title=OUTSIDE, slug="notice-board"))
    return catalogue, made


def titles(objects) -> set[str]:
    return {obj.title for obj in objects}


def explorer_search(client, query, **params):
    """The page explorer's search box (the header's search: every page the user may explore)."""
    response = client.get(reverse("wagtailadmin_pages:search_results"), {"q": query, **params})
    assert response.status_code == 200
    return titles(response.context["object_list"])


def subtree_search(client, query, parent):
    """The search box of a page's listing in the explorer: that page's descendants."""
    response = client.get(reverse("wagtailadmin_explore", args=[parent.pk]), {"q": query})
    assert response.status_code == 200
    return titles(response.context["object_list"])


def chooser_search(client, query):
    """The page chooser's search (a link, a page chooser panel)."""
    response = client.get(reverse("wagtailadmin_choose_page_search"), {"q": query})
    assert response.status_code == 200
    return titles(response.context["pages"])


@pytest.mark.parametrize("role", ["trainer", "superuser"])
def test_the_explorer_finds_a_page_by_part_of_its_chinese_title(client, org, pages, role):
    catalogue, _ = pages
    client.force_login(getattr(org, role))
    for search in (explorer_search, lambda c, q: subtree_search(c, q, catalogue)):
        assert search(client, "课标") >= {CHINESE}
        assert search(client, "新课标解读") == {CHINESE}
        assert search(client, "信息技术") == set()
        assert search(client, "management") == {ENGLISH}  # English: Wagtail's own search, as before
        assert search(client, "课标 解读") == {CHINESE}  # every term must occur
        assert search(client, "课标 management") == set()


def test_the_explorer_still_shows_a_trainer_only_the_pages_they_may_explore(client, org, pages):
    client.force_login(org.trainer)
    assert explorer_search(client, "课标") == {CHINESE}
    client.force_login(org.superuser)
    assert explorer_search(client, "课标") == {CHINESE, OUTSIDE}


def test_the_explorer_search_counts_page_types_of_the_chinese_matches(client, org, pages):
    client.force_login(org.superuser)
    response = client.get(reverse("wagtailadmin_pages:search_results"), {"q": "课标"})
    counts = {content_type.model: count for content_type, count in response.context["content_types"]}
    assert counts == {"coursepage": 1, "page": 1}
    only_courses = explorer_search(client, "课标", content_type="shixun_courses.coursepage")
    assert only_courses == {CHINESE}


def test_the_explorer_sorts_and_pages_chinese_matches(client, org, pages):
    catalogue, _ = pages
    for n in range(1, 24):
        make_course(catalogue, f"{CHINESE}（{n:02d}）")
    client.force_login(org.superuser)
    url = reverse("wagtailadmin_pages:search_results")
    first = client.get(url, {"q": "课标", "ordering": "title"}).context
    assert first["paginator"].count == 25  # 23 + the course + the page outside the catalogue
    listed = [page.title for page in first["object_list"]]
    assert listed == sorted(listed) and len(listed) == 20
    second = client.get(url, {"q": "课标", "ordering": "title", "p": 2}).context
    assert len(second["object_list"]) == 5 and not set(listed) & titles(second["object_list"])


@pytest.mark.parametrize("role", ["trainer", "superuser"])
def test_the_page_chooser_finds_a_page_by_part_of_its_chinese_title(client, org, pages, role):
    client.force_login(getattr(org, role))
    # Wagtail's page chooser lists every page to whoever may enter the admin: the page outside
    # the catalogue is found by the trainer too, as an English title would be.
    assert chooser_search(client, "课标") == {CHINESE, OUTSIDE}
    assert chooser_search(client, "宣传") == {OUTSIDE}
    assert chooser_search(client, "信息技术") == set()
    assert chooser_search(client, "management") == {ENGLISH}
    assert chooser_search(client, "课标 解读") == {CHINESE}


# --- images and documents ----------------------------------------------------------


def make_image(title, user, collection=None):
    image = ImageFile(io.BytesIO(photo("PNG", orientation=None)), name="figure.png")
    extra = {"collection": collection} if collection else {}
    return get_image_model().objects.create(title=title, file=image, uploaded_by_user=user, **extra)


def make_document(title, user, collection=None):
    extra = {"collection": collection} if collection else {}
    return get_document_model().objects.create(
        title=title, file=ContentFile(b"%PDF-1.4 handout", name="handout.pdf"), uploaded_by_user=user, **extra
    )


MEDIA = {
    "images": (make_image, "wagtailimages", "wagtailimages_chooser"),
    "documents": (make_document, "wagtaildocs", "wagtaildocs_chooser"),
}
EACH_KIND = pytest.mark.parametrize("kind", list(MEDIA))


def listing_search(client, kind, query):
    response = client.get(reverse(f"{MEDIA[kind][1]}:index_results"), {"q": query})
    assert response.status_code == 200
    return titles(response.context["object_list"])


def media_chooser_search(client, kind, query):
    response = client.get(reverse(f"{MEDIA[kind][2]}:choose_results"), {"q": query})
    assert response.status_code == 200
    return titles(response.context["results"])


@pytest.fixture
def media(org):
    def make(kind, *titles, user=None, collection=None):
        return [MEDIA[kind][0](title, user or org.trainer, collection) for title in titles]

    return make


@EACH_KIND
@pytest.mark.parametrize("search", [listing_search, media_chooser_search], ids=["listing", "chooser"])
@pytest.mark.parametrize("role", ["trainer", "superuser"])
def test_the_media_libraries_find_a_file_by_part_of_its_chinese_title(client, org, media, kind, search, role):
    media(kind, CHINESE, ENGLISH, OTHER)
    client.force_login(getattr(org, role))
    assert search(client, kind, "课标") == {CHINESE}
    assert search(client, kind, "新课标解读") == {CHINESE}
    assert search(client, kind, "信息技术") == set()
    assert search(client, kind, "management") == {ENGLISH}
    assert search(client, kind, "课标 解读") == {CHINESE}
    assert search(client, kind, "课标 management") == set()


@EACH_KIND
def test_a_chinese_tag_finds_its_file(client, org, media, kind):
    tagged, _ = media(kind, "Lesson handout", "Other handout")
    tagged.tags.add("新课标")
    client.force_login(org.trainer)
    assert media_chooser_search(client, kind, "课标") == {"Lesson handout"}


@EACH_KIND
def test_a_trainers_listing_still_holds_only_their_own_uploads(client, org, media, kind):
    """Trainers may add and choose media, not change others': the listing shows their own, the chooser all."""
    media(kind, CHINESE)
    media(kind, f"{CHINESE}（同事）", user=org.reviewer)
    client.force_login(org.trainer)
    assert listing_search(client, kind, "课标") == {CHINESE}
    assert media_chooser_search(client, kind, "课标") == {CHINESE, f"{CHINESE}（同事）"}


@pytest.fixture
def one_collection_user(org):
    """A user who may choose images and documents in one child collection only."""
    root = Collection.get_first_root_node()
    allowed = root.add_child(name="教研组")
    hidden = root.add_child(name="校长室")
    group = Group.objects.create(name="教研组成员")
    group.permissions.add(Permission.objects.get(content_type__app_label="wagtailadmin", codename="access_admin"))
    for app_label, codename in (("wagtailimages", "choose_image"), ("wagtaildocs", "choose_document")):
        permission = Permission.objects.get(content_type__app_label=app_label, codename=codename)
        GroupCollectionPermission.objects.create(group=group, collection=allowed, permission=permission)
    user = make_user(district=org.district, username="jiaoyanzu")
    user.groups.add(group)
    return user, allowed, hidden


@EACH_KIND
def test_a_chooser_still_lists_only_the_collections_the_user_may_choose_from(
    client, org, media, one_collection_user, kind
):
    user, allowed, hidden = one_collection_user
    media(kind, CHINESE, "Management in the open", collection=allowed)
    media(kind, f"{CHINESE}（保密）", "Management behind doors", collection=hidden)
    client.force_login(user)
    assert media_chooser_search(client, kind, "课标") == {CHINESE}
    assert media_chooser_search(client, kind, "management") == {"Management in the open"}


# --- every search box a role can open answers a Chinese query ---------------------------

SEARCH_URLS = [
    ("wagtailadmin_pages:search", {}),
    ("wagtailadmin_pages:search_results", {}),
    ("wagtailadmin_choose_page_search", {}),
    ("wagtailimages:index", {}),
    ("wagtailimages:index_results", {}),
    ("wagtailimages_chooser:choose", {}),
    ("wagtailimages_chooser:choose_results", {}),
    ("wagtaildocs:index", {}),
    ("wagtaildocs:index_results", {}),
    ("wagtaildocs_chooser:choose", {}),
    ("wagtaildocs_chooser:choose_results", {}),
    ("wagtailusers_users:index", {}),
    ("wagtailusers_groups:index", {}),
    ("wagtailadmin_collections:index", {}),
    ("wagtailredirects:index", {}),
    ("wagtailforms:index", {}),
    ("wagtailsites:index", {}),
    ("wagtailadmin_workflows:index", {}),
    ("wagtailadmin_workflows:task_index", {}),
    ("wagtailadmin_workflows:task_chooser", {}),
    ("wagtailadmin_reports:locked_pages", {}),
    ("wagtailadmin_reports:aging_pages", {}),
    ("wagtailadmin_reports:site_history", {}),
    ("wagtailadmin_reports:page_types_usage", {}),
]


# The forms of a Chinese query the substring search parses differently (platform/config/search.py): one
# term, a term beside an English word, a term in Chinese quotation marks. How a query is parsed does not
# depend on who asks, so the superuser (who opens every view) asks every form; the other roles ask the one
# form that finds rows, so each view still renders its matches with the actions that role's permissions show.
EVERY_QUERY_FORM = ("课标", "课标 management", "「课标」")
QUERY_FORMS = {"trainer": ("课标",), "reviewer": ("课标",), "district_admin": ("课标",), "superuser": EVERY_QUERY_FORM}


@pytest.mark.parametrize("role", list(QUERY_FORMS))
def test_every_admin_search_answers_a_chinese_query(client, org, pages, media, role):
    media("images", CHINESE)
    media("documents", CHINESE)
    catalogue, _ = pages
    client.force_login(getattr(org, role))
    urls = [reverse(name) for name, _ in SEARCH_URLS] + [reverse("wagtailadmin_explore", args=[catalogue.pk])]
    opened = 0
    for url in urls:
        # A chooser's modal asks by XMLHttpRequest (Wagtail then refuses with 403, not a redirect).
        plain = client.get(url, headers={"x-requested-with": "XMLHttpRequest"})
        for query in QUERY_FORMS[role]:
            response = client.get(url, {"q": query}, headers={"x-requested-with": "XMLHttpRequest"})
            # A view the role may open answers the search; one it may not refuses it the same way.
            assert response.status_code == plain.status_code, f"{role} {url}?q={query}: {response.status_code}"
        opened += plain.status_code == 200
    assert opened >= 3  # the choosers at least: every role here may choose pages, images and documents
    if role == "superuser":
        assert opened == len(urls)  # every form of the query reached every view's search


QUERY_COUNTED = {
    "explorer search": lambda c, q: explorer_search(c, q),
    "page chooser": lambda c, q: chooser_search(c, q),
    "image chooser": lambda c, q: media_chooser_search(c, "images", q),
    "document listing": lambda c, q: listing_search(c, "documents", q),
}


@pytest.mark.parametrize("view", list(QUERY_COUNTED))
def test_a_chinese_search_costs_the_queries_an_english_one_does(client, org, pages, media, view):
    media("images", CHINESE, ENGLISH)
    media("documents", CHINESE, ENGLISH)
    search = QUERY_COUNTED[view]
    client.force_login(org.superuser)
    search(client, "management")  # the first requests fill caches (content types, thumbnails)
    search(client, "解读")
    with CaptureQueriesContext(connection) as english:
        assert search(client, "management") == {ENGLISH}
    with CaptureQueriesContext(connection) as chinese:
        assert search(client, "解读") == {CHINESE}
    assert len(chinese) == len(english), [q["sql"] for q in chinese.captured_queries]
