"""A new view cannot skip the security suite: every URL of Shixun's apps is in the matrix or listed with a reason."""

from __future__ import annotations

from django.urls import NoReverseMatch, reverse

from .matrix import KIND_ROWS, ROWS
from .urls import CONTENT_ORIGIN_COVERED, PUBLIC_OR_SELF, content_origin_url_names, shixun_url_names


def matrix_url_names() -> set[str]:
    names = set()
    for row in ROWS:
        names.update(name for name in (row.name, *row.covers) if ":" in name and " " not in name)
    return names


def test_every_shixun_url_is_in_the_access_matrix_or_listed_as_public():
    missing = shixun_url_names() - matrix_url_names() - set(PUBLIC_OR_SELF)
    assert missing == set(), (
        "URLs without a row in tests/security/matrix.py (or a reason in urls.PUBLIC_OR_SELF): "
        + ", ".join(sorted(missing))
    )


def test_the_matrix_and_the_public_list_name_only_urls_that_exist():
    """A renamed or removed view must not leave a row that protects nothing."""
    known = shixun_url_names()
    stale = (matrix_url_names() | set(PUBLIC_OR_SELF)) - known
    assert stale == set()
    assert matrix_url_names().isdisjoint(PUBLIC_OR_SELF), "a URL is both in the matrix and called public"


def test_every_content_origin_url_is_covered():
    assert content_origin_url_names() == set(CONTENT_ORIGIN_COVERED)


def test_the_content_origin_urls_are_not_part_of_the_site():
    """The content origin's views are reached only through its middleware, never through the site's URLs."""
    for name in content_origin_url_names():
        try:
            reverse(name, kwargs={"token": "x", "path": "x", "folder": "x"})
        except NoReverseMatch:
            continue
        raise AssertionError(f"{name} is mounted in the site's own URLs")


def test_every_activity_kind_brings_its_rows_into_the_matrix():
    """A new activity kind cannot skip the security suite: it names its rows (ActivityKind.access_rows)."""
    from shixun.courses.activities import activity_kinds

    listed = {id(row) for row in ROWS}
    for kind in activity_kinds():
        rows = KIND_ROWS.get(kind.key)
        assert rows, f"activity kind {kind.key!r} has no rows in the access matrix (ActivityKind.access_rows)"
        assert all(id(row) in listed for row in rows), kind.key
