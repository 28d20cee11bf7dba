"""The "evaluation" kind's rows of the security suite's role × URL matrix (tests/security/matrix.py).

The world (tests/security/conftest.py, _build_evaluation) has a course whose module places the
district's evaluation form, the teacher, sibling and foreign teachers enrolled, and five answers
from the district's learners, one of them with COMMENT_SECRET.
"""

from tests.evaluations.security_world import COMMENT_SECRET, TEMPLATE_TITLE
from tests.security.matrix import (
    ADMIN_STAFF,
    DISTRICT_ADMIN,
    FOREIGN_DISTRICT_ADMIN,
    FOREIGN_TEACHER,
    OTHER_TRAINER,
    SIBLING_TEACHER,
    SUPERUSER,
    TEACHER,
    TRAINER,
    Row,
    no_secret,
    r,
)

SEES_RESULTS = frozenset({DISTRICT_ADMIN, FOREIGN_DISTRICT_ADMIN, TRAINER, OTHER_TRAINER, SUPERUSER})

ROWS = [
    Row("evaluations:answer", r("evaluations:answer", lambda w: w.extra["evaluation_module"].pk,
                                lambda w: w.extra["evaluation_template"].pk),
        frozenset({TEACHER, SIBLING_TEACHER, FOREIGN_TEACHER}), secret=no_secret,
        notes="enrolled learners; anyone else is sent to the course page"),
    Row("evaluations:results", r("evaluations:results"), SEES_RESULTS, secret=lambda w: COMMENT_SECRET,
        secret_visible_to=frozenset({DISTRICT_ADMIN, TRAINER, SUPERUSER}),
        notes="the district's own learners' answers, the trainer's own courses; never a school or a teacher"),
    Row("evaluations:results_csv", r("evaluations:results_csv"), SEES_RESULTS, secret=lambda w: COMMENT_SECRET,
        secret_visible_to=frozenset({DISTRICT_ADMIN, TRAINER, SUPERUSER})),
    Row("wagtail admin evaluation template snippets",
        lambda w: "/admin/snippets/shixun_evaluations/evaluationtemplate/",
        frozenset({DISTRICT_ADMIN, FOREIGN_DISTRICT_ADMIN, SUPERUSER}) | ADMIN_STAFF,
        secret=lambda w: TEMPLATE_TITLE, secret_visible_to=ADMIN_STAFF | {DISTRICT_ADMIN},
        notes="district admins keep their own district's forms; trainers and reviewers read them all (to place one)"),
    Row("wagtail admin evaluation template edit",
        lambda w: f"/admin/snippets/shixun_evaluations/evaluationtemplate/edit/{w.extra['evaluation_template'].pk}/",
        frozenset({DISTRICT_ADMIN, SUPERUSER}), secret=lambda w: TEMPLATE_TITLE),
    Row("wagtail admin evaluation template chooser",
        lambda w: "/admin/snippets/choose/shixun_evaluations/evaluationtemplate/",
        ADMIN_STAFF | {DISTRICT_ADMIN, FOREIGN_DISTRICT_ADMIN}, secret=lambda w: TEMPLATE_TITLE,
        notes="a form's title is no secret to whoever places or keeps forms"),
]
