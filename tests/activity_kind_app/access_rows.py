"""The checklist kind's rows of the security suite's role × URL matrix (tests/security/matrix.py)."""

from tests.security.matrix import SUPERUSER, Row, no_secret

ROWS = [
    Row("wagtail admin checklist snippets", lambda w: "/admin/snippets/activity_kind_app/checklist/",
        frozenset({SUPERUSER}), secret=no_secret, notes="no role is granted the test kind's model"),
    Row("wagtail admin checklist chooser", lambda w: "/admin/snippets/choose/activity_kind_app/checklist/",
        frozenset({SUPERUSER}), secret=no_secret),
]
