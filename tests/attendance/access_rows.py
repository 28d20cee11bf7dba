"""The attendance kind's rows of the security suite's role × URL matrix, and what they need in its world."""

from tests.security.matrix import (
    AUTHENTICATED,
    FOREIGN_TEACHER,
    OTHER_TRAINER,
    SCHOOL_ADMIN,
    SIBLING_ADMIN,
    SIBLING_TEACHER,
    SUPERUSER,
    TEACHER,
    TRAINER,
    Row,
    no_secret,
    r,
)

from .security_world import SESSION_TITLE

RUNS_COURSE = frozenset({TRAINER, SUPERUSER})
ENROLLED = frozenset({TEACHER, SIBLING_TEACHER, FOREIGN_TEACHER})


def _session(w):
    return w.extra["session"].pk


def _scan(w):
    from django.urls import reverse

    from shixun.attendance import rules

    session = w.extra["session"]
    return reverse("attendance:scan", args=[rules.token_for(session, rules.current_step(session))])


ROWS = [
    Row("attendance:trainer_home", r("attendance:trainer_home"), frozenset({TRAINER, OTHER_TRAINER, SUPERUSER}),
        secret=lambda w: SESSION_TITLE, secret_visible_to=RUNS_COURSE,
        notes="every trainer has the page; each sees only their own courses' sessions"),
    Row("attendance:course_sessions", r("attendance:course_sessions", lambda w: w.course.pk), RUNS_COURSE,
        secret=lambda w: SESSION_TITLE),
    Row("attendance:session_add", r("attendance:session_add", lambda w: w.course.pk), RUNS_COURSE,
        secret=no_secret),
    Row("attendance:session_edit", r("attendance:session_edit", _session), RUNS_COURSE,
        secret=lambda w: SESSION_TITLE),
    Row("attendance:show_code", r("attendance:show_code", _session), RUNS_COURSE, secret=lambda w: SESSION_TITLE),
    Row("attendance:class_list", r("attendance:class_list", _session), RUNS_COURSE),
    Row("attendance:class_list POST", r("attendance:class_list", _session), RUNS_COURSE, method="POST",
        data=lambda w: {"learner": str(w.teacher.pk), "status": "present", "reason": "核对"}, ok=(302,),
        covers=("attendance:class_list",)),
    Row("attendance:sign_in_sheet", r("attendance:sign_in_sheet", _session), RUNS_COURSE),
    Row("attendance:course_export", r("attendance:course_export", lambda w: w.course.pk, "csv"), RUNS_COURSE),
    Row("attendance:scan", _scan, AUTHENTICATED, secret=no_secret,
        notes="shows the session and a sign-in button; writes nothing"),
    Row("attendance:scan POST", _scan, AUTHENTICATED, method="POST", ok=(302, 400), secret=no_secret,
        covers=("attendance:scan",), notes="signs in the signed-in user only (400: not enrolled, or already)"),
    Row("attendance:type_code", r("attendance:type_code"), AUTHENTICATED, secret=no_secret),
    Row("attendance:type_code POST", r("attendance:type_code"), AUTHENTICATED, method="POST", ok=(302, 400),
        data=lambda w: {"code": "000000"}, secret=no_secret, covers=("attendance:type_code",),
        notes="signs in the signed-in user only"),
    Row("attendance:my_sessions", r("attendance:my_sessions"), AUTHENTICATED, secret=lambda w: SESSION_TITLE,
        secret_visible_to=ENROLLED, notes="the signed-in user's own sessions"),
    Row("attendance:leave_request", r("attendance:leave_request", lambda w: w.extra["upcoming_session"].pk),
        ENROLLED, secret=no_secret),
    Row("attendance:leave_request POST", r("attendance:leave_request", lambda w: w.extra["upcoming_session"].pk),
        ENROLLED, method="POST", ok=(302, 400), data=lambda w: {"reason": "病假"}, secret=no_secret,
        covers=("attendance:leave_request",), notes="asks for the signed-in user only"),
    Row("attendance:leave_requests", r("attendance:leave_requests"),
        frozenset({SCHOOL_ADMIN, SIBLING_ADMIN, SUPERUSER}),
        secret_visible_to=frozenset({SCHOOL_ADMIN, SUPERUSER}),
        notes="every school admin has the page; each sees their own school's teachers' requests"),
    Row("attendance:leave_decide", r("attendance:leave_decide", lambda w: w.extra["leave"].pk),
        frozenset({SCHOOL_ADMIN, SUPERUSER}), method="POST", ok=(302,), data=lambda w: {"decision": "approve"}),
    Row("attendance:leave_withdraw", r("attendance:leave_withdraw", lambda w: w.extra["leave"].pk),
        frozenset({TEACHER}), method="POST", ok=(302,)),
    Row("wagtail admin attendance sessions", lambda w: "/admin/snippets/shixun_attendance/session/",
        frozenset({TRAINER, OTHER_TRAINER, SUPERUSER}), secret=lambda w: SESSION_TITLE,
        secret_visible_to=RUNS_COURSE, notes="scoped to the trainer's courses"),
    Row("wagtail admin attendance session edit",
        lambda w: f"/admin/snippets/shixun_attendance/session/edit/{w.extra['session'].pk}/",
        RUNS_COURSE, secret=lambda w: SESSION_TITLE),
    Row("wagtail admin attendance session chooser", lambda w: "/admin/snippets/choose/shixun_attendance/session/",
        frozenset({TRAINER, OTHER_TRAINER, SUPERUSER}), secret=lambda w: SESSION_TITLE,
        secret_visible_to=RUNS_COURSE, notes="a trainer chooses among their own courses' sessions"),
]
