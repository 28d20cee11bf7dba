"""What the catalogue, course and module pages show and how a module page is served.

The page models (models.py) call these from get_context and serve, so they
live apart from views.py: models never import views. views.py imports what
it shares from here.
"""

import secrets
import threading
from dataclasses import replace
from decimal import Decimal

from django.contrib import messages
from django.contrib.auth.views import redirect_to_login
from django.core.paginator import Paginator
from django.db.models import BooleanField, DecimalField, Exists, IntegerField, OuterRef, Q, Subquery, Sum, Value
from django.db.models.functions import Coalesce
from django.shortcuts import redirect
from django.template.loader import render_to_string
from django.template.response import TemplateResponse
from django.utils import formats, timezone
from django.utils.html import format_html
from django.utils.safestring import mark_safe
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from shixun.accounts.models import TeacherCategory
from shixun.accounts.people import profile_of
from shixun.config.compiled import CompiledValues, concrete_attnames
from shixun.config.conf import shixun_settings

from . import enrolment as services
from .activities import get_kind
from .blocks import LESSON_KEY, ActivityBlock, is_tracked_video, video_key
from .certificate_links import certificates_for
from .deadlines import DueState, due_state, enrolment_date
from .forms import HOURS_RANGES, ApplicationForm, CatalogueFilterForm
from .hours import pending_hours_for
from .models import (
    ActivityProgress,
    ActivityStatus,
    ApplicationStatus,
    CourseCategory,
    CoursePage,
    CreditPolicy,
    Enrolment,
    EnrolmentApplication,
    EnrolmentMode,
    ModuleCompletion,
    ModulePage,
    StudyTime,
)
from .permissions import can_assign_courses, can_view_module_content, is_course_staff
from .progress import record_activity_status
from .study import StudyState, required_ms, study_state
from .study_views import state_json
from .video_progress import tracked_videos, video_progress_of

CATALOGUE_PAGE_SIZE = 20


def _module_aggregate(expression, output_field):
    """A subquery aggregating a course's live modules (its children in the page tree)."""
    modules = (
        ModulePage.objects.filter(live=True, path__startswith=OuterRef("path"), depth=OuterRef("depth") + 1)
        .order_by()
        .values("live")
        .annotate(value=expression)
        .values("value")
    )
    return Coalesce(Subquery(modules, output_field=output_field), Value(0), output_field=output_field)


def courses_with_totals(queryset):
    return queryset.annotate(
        hours=_module_aggregate(Sum("credit_hours"), DecimalField(max_digits=7, decimal_places=1)),
        module_count=_module_aggregate(Sum(Value(1)), IntegerField()),
    )


def _learner_state(user, course_ids, *, enrolments=True):
    """{course id: enrolment} and {course id: latest application} for one learner: two queries, or one."""
    if not user.is_authenticated or not course_ids:
        return {}, {}
    if enrolments:
        enrolments = {
            e.course_id: e
            for e in Enrolment.objects.filter(user=user, course_id__in=course_ids, status=Enrolment.Status.ACTIVE)
        }
    else:
        enrolments = {}
    applications = {}
    for application in (
        EnrolmentApplication.objects.filter(user=user, course_id__in=course_ids)
        .exclude(status=ApplicationStatus.WITHDRAWN)
        .order_by("submitted_at", "pk")
    ):
        applications[application.course_id] = application  # the latest wins
    return enrolments, applications


def catalogue_context(request, catalogue):
    from .search import search_courses

    form = CatalogueFilterForm(request.GET or None)
    courses = courses_with_totals(
        CoursePage.objects.child_of(catalogue).live().select_related("category", "cover_image")
    )
    if form.is_valid():
        data = form.cleaned_data
        courses = search_courses(courses, data["q"])
        if data["category"]:
            courses = courses.filter(category=data["category"])
        if data["audience"]:
            # A course with no audience is meant for everyone, so it suits every category.
            courses = courses.filter(Q(audience=data["audience"]) | Q(audience__isnull=True)).distinct()
        if data["hours"]:
            _label, at_least, less_than = HOURS_RANGES[data["hours"]]
            if at_least is not None:
                courses = courses.filter(hours__gte=at_least)
            if less_than is not None:
                courses = courses.filter(hours__lt=less_than)
    courses = courses.prefetch_related("audience").order_by("path")
    page = Paginator(courses, CATALOGUE_PAGE_SIZE).get_page(request.GET.get("page"))
    enrolments, applications = _learner_state(request.user, [c.pk for c in page])
    rows = [
        {"course": c, "enrolment": enrolments.get(c.pk), "application": applications.get(c.pk)} for c in page
    ]
    query = request.GET.copy()
    query.pop("page", None)
    return {"filter_form": form, "page_obj": page, "rows": rows, "filter_query": query.urlencode()}


# What the course page shows of each module, read as plain values: building
# twenty Wagtail page instances (modelcluster, StreamField) cost more CPU than
# rendering them.
MODULE_ROW_FIELDS = ("pk", "title", "url_path", "credit_hours", "due_date", "introduction")


def _module_rows(modules, today, course_url, course_url_path, request, *, enrolled_on=None):
    urls = _child_urls(course_url, course_url_path, modules, request)
    # Translated once, not once per module (each gettext walks the catalogue chain).
    hours_text, due_text = _("%(hours)s hours"), _("due %(date)s")
    hours_of = {}  # most modules share a few values: each localised once (formats.localize is not cheap)
    rows = []
    for module in modules:
        done = module["done"]
        due = module["due_date"]
        state = due_state(due, done=done, enrolled_on=enrolled_on, today=today)
        key = str(module["credit_hours"])  # by text: Decimal("1") == Decimal("1.0"), but they read differently
        if key not in hours_of:
            hours_of[key] = hours_text % {"hours": formats.localize(module["credit_hours"])}
        rows.append({
            "module": module,
            "url": urls[module["pk"]],
            "hours": hours_of[key],
            "due": due_text % {"date": due.strftime("%Y-%m-%d")} if due else "",
            "done": done,
            "started": module["started"],
            "waiting": module["waiting"],
            "study_left": _study_left(module),
            "overdue": state == DueState.OVERDUE,
            "due_before_enrolment": state == DueState.BEFORE_ENROLMENT,
        })
    return rows


def _study_left(module) -> str:
    """"还需学习 12 分钟" for a module whose lesson the learner has begun to study, as its page says; else ""."""
    if module["done"] or module["study_ms"] is None or module["study_reported"]:
        return ""
    shape = ModulePage(credit_hours=module["credit_hours"], study_minutes=module["study_minutes"])
    return state_json(StudyState(module["study_ms"], required_ms(shape), False))["text"]


def _child_urls(parent_url, parent_url_path, modules, request):
    """{pk: URL} of the course's modules, built from the course's URL as Wagtail builds it (the url_path under
    the course's), without Wagtail's site lookup per page; from Wagtail itself (one query) when the course has
    no URL or it ends without a slash (WAGTAIL_APPEND_SLASH off)."""
    if parent_url and parent_url.endswith("/") and all(m["url_path"].startswith(parent_url_path) for m in modules):
        return {m["pk"]: parent_url + m["url_path"][len(parent_url_path):] for m in modules}
    pages = ModulePage.objects.filter(pk__in=[m["pk"] for m in modules])
    return {page.pk: page.get_url(request) for page in pages}


# The module's own column, then the learner's (annotations).
_LEARNER_FIELDS = ("study_minutes", "done", "started", "waiting", "study_ms", "study_reported")


def _modules_of_learner(path, depth, user_id):
    """The live modules below the course at `path` (children at `depth`) with the learner's `done` and `started`."""
    study = StudyTime.objects.filter(user_id=user_id, module_id=OuterRef("pk"))
    return (
        ModulePage.objects.filter(path__startswith=path, depth=depth, live=True)
        .annotate(
            done=Exists(ModuleCompletion.objects.filter(user_id=user_id, module_id=OuterRef("pk"))),
            started=Exists(ActivityProgress.objects.filter(user_id=user_id, module_id=OuterRef("pk"))),
            waiting=Exists(
                ActivityProgress.objects.filter(
                    user_id=user_id, module_id=OuterRef("pk"), status=ActivityStatus.WAITING
                )
            ),
            study_ms=Subquery(study.values("active_ms")[:1]),  # None: no study row yet
            study_reported=Coalesce(Subquery(study.values("lesson_reported")[:1]), Value(False)),
        )
        .order_by("path")
        .values(*MODULE_ROW_FIELDS, *_LEARNER_FIELDS)
    )


# Compiled once per connection (shixun.config.compiled): the ORM took longer to build this query's SQL, with its
# two EXISTS, than the database took to answer it (bench/ANALYSIS.md, issue 18).
_MODULES_OF_LEARNER = CompiledValues(
    _modules_of_learner, path="~compiled-course-path~", depth=2_073_180_101, user_id=-2_073_180_102
)


def modules_with_progress(course, user):
    """The course's live modules in order, as dicts with `done`, `started` and `waiting`
    (an activity waits for a trainer) for this learner: one query.

    The learner's completions and progress ride along as EXISTS subqueries
    (they use the (user, module) unique indexes), so the page costs the same
    whatever the number of modules.
    """
    if not course.path:  # an unsaved page (e.g. the preview of a new course) has no children
        return []
    if user.is_authenticated:
        return _MODULES_OF_LEARNER.values(path=course.path, depth=course.depth + 1, user_id=user.pk)
    modules = course.live_modules().annotate(
        done=Value(False, output_field=BooleanField()),
        started=Value(False, output_field=BooleanField()),
        waiting=Value(False, output_field=BooleanField()),
        study_ms=Value(None, output_field=IntegerField()),
        study_reported=Value(False, output_field=BooleanField()),
    )
    return list(modules.values(*MODULE_ROW_FIELDS, *_LEARNER_FIELDS))


def _audience_of(course_id):
    return TeacherCategory.objects.filter(courses=course_id).values(*concrete_attnames(TeacherCategory))


_AUDIENCE = CompiledValues(_audience_of, course_id=-2_073_180_103)


def _audience(course):
    """The course's audience (teacher categories), as `course.audience.all()`; compiled once for a saved course."""
    if not course.pk:
        return []
    if "audience" in getattr(course, "_cluster_related_objects", {}):  # a preview's unsaved choice: in memory
        return list(course.audience.all())
    return _AUDIENCE.instances(TeacherCategory, course_id=course.pk)


def _category_of(category_id):
    return CourseCategory.objects.filter(pk=category_id).values(*concrete_attnames(CourseCategory))


_CATEGORY = CompiledValues(_category_of, category_id=-2_073_180_104)


def _category(course):
    """The course's category, as `course.category`; its read compiled once (the template's `page.category` built the
    ORM's SQL for it on every view of a course page)."""
    if course.category_id is None:
        return None
    if "category" in course._state.fields_cache:  # already read (a preview's choice, or a select_related)
        return course.category
    found = _CATEGORY.instances(CourseCategory, category_id=course.category_id)
    return found[0] if found else None


def course_page_context(request, course):
    user = request.user
    modules = modules_with_progress(course, user) if course.pk else []
    context = {
        "category": _category(course),
        "modules": modules,
        "total_hours": sum((m["credit_hours"] for m in modules), Decimal("0")),
        "audience": _audience(course),
        "enrolment": None,
        "application": None,
        "application_form": ApplicationForm(),
        "can_assign": can_assign_courses(user),
        "is_staff_viewer": is_course_staff(user, course) if course.pk else False,
    }
    if user.is_authenticated and course.pk:
        enrolment = services.active_enrolment(user, course)
        context["enrolment"] = enrolment
        if enrolment:
            context["can_withdraw"] = services.can_withdraw(user, enrolment)
            if modules and all(m["done"] for m in modules):
                context["certificate"] = certificates_for(user, [course.pk]).get(course.pk)
            if course.credit_policy == CreditPolicy.ON_PASS:
                context["pending_hours"] = pending_hours_for(user, [course.pk]).get(course.pk)
        else:
            # Only the page of a learner not enrolled shows the application.
            context["application"] = _learner_state(user, [course.pk], enrolments=False)[1].get(course.pk)
    course_url = course.get_url(request) if course.pk else None
    enrolment = context["enrolment"]
    rows = _module_rows(
        modules, timezone.localdate(), course_url, course.url_path, request,
        enrolled_on=enrolment_date(enrolment.enrolled_at) if enrolment else None,
    )
    context["module_rows"] = rows
    context["is_preview"] = bool(getattr(request, "is_preview", False))  # for the template (see serve_module)
    linked = bool(enrolment or context["is_staff_viewer"] or context["is_preview"])
    context["module_list"] = module_list_html(rows, linked=linked, enrolled=enrolment is not None)
    next_row = next((r for r in rows if not r["done"]), None)
    context["next_module"] = next_row["module"] if next_row else None
    context["next_module_url"] = next_row["url"] if next_row else None
    context["done_count"] = sum(r["done"] for r in rows)
    context["percent"] = round(100 * context["done_count"] / len(rows)) if rows else 0
    if course.enrolment_mode == EnrolmentMode.APPLICATION and user.is_authenticated and profile_of(user).school_id:
        context["places_left"] = services.places_left(course, profile_of(user).school_id)
    return context


# The course page's module list without the learner, rendered once per content and kept in the process:
# the key is everything the fragment shows (language, whether titles link, each module's URL, title, hours, due
# date and introduction), so a publish that changes any of it makes a new key at once, with no invalidation to
# miss, and a course's list can never show on another's page. Only those values reach the template, so nothing
# of a learner can be kept; each learner's status badges are put into the kept pieces per request. Rendering
# the list was ~27% of a warm page's CPU (bench/ANALYSIS.md, issue 18); a shared-cache round trip would cost
# more than it saves, so it is the process's own, bounded.
MODULE_LIST_ENTRIES = 500
_module_lists: dict = {}
_module_lists_lock = threading.Lock()
_BADGE_SLOT = mark_safe(f"\x00badge-{secrets.token_hex(8)}\x00")  # noqa: S308 (a marker, never shown)


def _module_list_pieces(rows, linked: bool) -> list[str]:
    static = tuple(
        (row["url"], row["module"]["title"], row["hours"], row["due"], row["module"]["introduction"]) for row in rows
    )
    key = (get_language(), linked, static)
    pieces = _module_lists.get(key)
    if pieces is None:
        html = render_to_string("courses/includes/module_list.html", {
            "module_rows": [
                {"url": url, "module": {"title": title, "introduction": intro}, "hours": hours, "due": due}
                for url, title, hours, due, intro in static
            ],
            "linked": linked,
            "badge_slot": _BADGE_SLOT,
        })
        pieces = html.split(_BADGE_SLOT)
        with _module_lists_lock:
            while len(_module_lists) >= MODULE_LIST_ENTRIES:
                _module_lists.pop(next(iter(_module_lists)))  # the oldest: a course since changed, most likely
            _module_lists[key] = pieces
    return pieces


def module_list_html(rows, *, linked: bool, enrolled: bool):
    """The module list as the page shows it: the kept pieces, with this learner's badge in each row if enrolled."""
    pieces = _module_list_pieces(rows, linked)
    if not enrolled:
        return mark_safe("".join(pieces))  # noqa: S308 (rendered and escaped by the template)
    badges = {
        "done": format_html('<span class="badge ok">{}</span>', _("Done")),
        "overdue": format_html('<span class="badge bad">{}</span>', _("Overdue")),
        "started": format_html('<span class="badge warn">{}</span>', _("In progress")),
        # The label the module page gives a step waiting for a trainer (module_steps): the two pages agree.
        "waiting": format_html('<span class="badge warn">{}</span>', ActivityStatus.WAITING.label),
        "before": format_html('<span class="badge">{}</span>', _("Due before you enrolled: finish soon")),
        "none": format_html('<span class="badge">{}</span>', _("Not started")),
    }
    html = [pieces[0]]
    for row, piece in zip(rows, pieces[1:], strict=True):
        if row["done"]:
            badge = badges["done"]
        elif row["overdue"]:
            badge = badges["overdue"]
        elif row["waiting"]:
            badge = badges["waiting"]
        elif row["started"]:
            badge = badges["started"]
            if row["study_left"]:
                badge = format_html('{} <span class="muted">{}</span>', badge, row["study_left"])
        elif row["due_before_enrolment"]:
            badge = badges["before"]
        else:
            badge = badges["none"]
        html += [badge, piece]
    return mark_safe("".join(html))  # noqa: S308 (the pieces escaped by the template, the badges by format_html)


# The badge colour of each status (shixun.css: ok, warn, bad; none for not started).
STATUS_BADGES = {
    ActivityStatus.DONE: "ok",
    ActivityStatus.WAITING: "warn",
    ActivityStatus.IN_PROGRESS: "warn",
    ActivityStatus.FAILED: "bad",
}


def _status_label(activity_key, status):
    """The learner-facing label of a status: the activity kind's own wording, else the common one."""
    try:
        return get_kind(activity_key).status_label(status)
    except KeyError:  # progress of a kind no longer installed
        return ActivityStatus(status).label


def module_steps(module, statuses):
    """What the learner does in this module, in page order, with the status of each and where it is."""
    steps = [{
        "key": LESSON_KEY, "label": _("Read the lesson content"), "required": True,
        "status": statuses.get(LESSON_KEY, ActivityStatus.NOT_STARTED), "anchor": "lesson",
    }]
    seen = {LESSON_KEY}
    for child in module.body:
        if is_tracked_video(child):
            steps.append(_video_step(child, statuses))
            continue
        if not isinstance(child.block, ActivityBlock):
            continue
        key = child.block.activity_key(child.value)
        if key is None or key in seen:
            continue
        seen.add(key)
        steps.append({
            "key": key,
            "label": str(child.block.get_activity(child.value)),
            "kind": child.block.meta.label,
            "required": bool(child.value.get("required")),
            "status": statuses.get(key, ActivityStatus.NOT_STARTED),
            "anchor": f"block-{child.id}",
        })
    for step in steps:
        step["status_label"] = _status_label(step["key"], step["status"])
        step["badge"] = STATUS_BADGES.get(step["status"], "")
        step["done"] = step["status"] == ActivityStatus.DONE
    return steps


def _video_step(child, statuses):
    """A tracked lesson video (uploaded or a timed embed): a required step, done when watched (video_progress.py)."""
    key = video_key(child.id)
    title = child.value.get("title") or (child.value["file"].title if child.value.get("file") else _("Video"))
    return {
        "key": key, "label": _("Watch the video: %(title)s") % {"title": title}, "required": True,
        "status": statuses.get(key, ActivityStatus.NOT_STARTED), "anchor": f"block-{child.id}",
    }


def next_step_of(steps):
    """The first required step the learner can do now.

    A step waiting for a trainer is not the learner's to do: "go to it" would lead nowhere.
    """
    return next(
        (s for s in steps if s["required"] and not s["done"] and s["status"] != ActivityStatus.WAITING), None
    )


_STATUSES = CompiledValues(
    lambda user_id, module_id: ActivityProgress.objects.filter(user_id=user_id, module_id=module_id).values(
        "activity_key", "status"
    ),
    user_id=-2_073_180_121, module_id=-2_073_180_122,
)


def statuses_of(learner, module) -> dict[str, str]:
    """{activity key: status} of the learner in the module; its SQL compiled once (every module page view)."""
    return {r["activity_key"]: r["status"] for r in _STATUSES.values(user_id=learner.pk, module_id=module.pk)}


def module_progress(module, course, learner, request=None):
    """The learner's steps, next step and completion of one module, as its page shows them. Reads only.

    The steps endpoint (views.module_steps_json) answers this after an activity
    reports, so the page updates in place; it records nothing (a GET never
    changes credit), unlike the module page, whose opening reads the lesson.
    """
    statuses = statuses_of(learner, module)
    steps = module_steps(module, statuses)
    siblings = _siblings(course, learner)
    position = next((i for i, m in enumerate(siblings) if m.pk == module.pk), None)
    if position is not None:
        completed = siblings[position].done
        next_module = siblings[position + 1] if position + 1 < len(siblings) else None
    else:  # not among the live modules (e.g. unpublished since): ask directly
        completed = ModuleCompletion.objects.filter(user=learner, module=module).exists()
        next_module = None
    return {
        "steps": steps,
        "next_step": next_step_of(steps),
        "module_completed": completed,
        "next_module": _with_url(next_module, course, request),
    }


def serve_module(module, request, *args, **kwargs):
    """A module page: content and activities for enrolled learners and course staff; the course page for others."""
    is_preview = getattr(request, "is_preview", False)
    course = module.get_course()
    enrolment = None
    if not is_preview:
        # Wagtail's preview view has already checked the editor's page permission.
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        enrolment = services.active_enrolment(request.user, course)
        if not can_view_module_content(request.user, course, enrolled=enrolment is not None):
            messages.info(request, _("Enrol in this course to open its modules."))
            return redirect(course.url)
    statuses = {}
    if enrolment is not None:
        statuses = statuses_of(request.user, module)
        if request.method == "GET" and LESSON_KEY not in statuses:
            # Opening the module records "opened" only: the lesson is done
            # after its study time (courses.study), never on a page view.
            record_activity_status(request.user, module, LESSON_KEY, ActivityStatus.IN_PROGRESS)
            statuses[LESSON_KEY] = ActivityStatus.IN_PROGRESS
    steps = module_steps(module, statuses)
    siblings = _siblings(course, request.user if enrolment is not None else None)
    position = next((i for i, m in enumerate(siblings) if m.pk == module.pk), None)
    next_module = siblings[position + 1] if position is not None and position + 1 < len(siblings) else None
    if enrolment is None:
        completed = False
    elif position is not None:
        completed = siblings[position].done
    else:  # not among the live modules (e.g. unpublished since): ask directly
        completed = ModuleCompletion.objects.filter(user=request.user, module=module).exists()
    context = module.get_context(request, *args, **kwargs)
    # The course's URL once: the breadcrumb shows it and the next module's link is built from it.
    course_url = course.get_url(request)
    if enrolment is not None:
        # The study row rides along with the siblings' query (no query of its own) when the module is live.
        row = siblings[position] if position is not None else None
        state = study_state(request.user, module, row.study_ms if row else None, row.study_reported if row else None)
        if statuses.get(LESSON_KEY) == ActivityStatus.DONE and not state.lesson_done:
            state = replace(state, lesson_done=True)  # done before study time was measured: it keeps its hours
        context["study"] = state_json(state)
        context["study_settings"] = {
            "heartbeat_seconds": shixun_settings.SHIXUN_STUDY_HEARTBEAT_SECONDS,
            "idle_seconds": shixun_settings.SHIXUN_STUDY_IDLE_SECONDS,
        }
    context.update({
        "course": course,
        "course_url": course_url,
        # Read from the context, not `request.is_preview` (absent on a learner's request: the template's lookup
        # of a missing attribute tried and failed several ways on every view).
        "is_preview": is_preview,
        "enrolment": enrolment,
        "activity_statuses": statuses,
        "steps": steps,
        # A step waiting for a trainer is not the learner's to do: "go to it" would lead nowhere.
        "next_step": next_step_of(steps) if enrolment else None,
        "module_completed": completed,
        "next_module": _with_url(next_module, course, request, course_url),
        "module_position": (position + 1) if position is not None else None,
        "module_count": len(siblings),
        # What the learner has watched of each lesson video, for its "已观看 63%" (courses/video_progress.py).
        "video_watches": video_progress_of(request.user, module) if enrolment and tracked_videos(module) else {},
    })
    return TemplateResponse(request, module.get_template(request, *args, **kwargs), context)


class Sibling:
    """A module of the course as the module page needs it: where it is, and the learner's figures if any."""

    __slots__ = ("pk", "title", "url_path", "done", "study_ms", "study_reported", "_url_of", "_url")

    def __init__(self, pk, title, url_path, done=False, study_ms=None, study_reported=None):
        self.pk, self.title, self.url_path = pk, title, url_path
        self.done, self.study_ms, self.study_reported = done, study_ms, study_reported
        self._url_of = self._url = None

    def __getitem__(self, key):  # _child_urls reads rows by key
        return getattr(self, key)

    @property
    def url(self):
        """Its URL, built from the course's as the course page builds its modules' (no query); only if shown."""
        if self._url is None and self._url_of is not None:
            course, request, course_url = self._url_of
            if course_url is None:
                course_url = course.get_url(request)
            self._url = _child_urls(course_url, course.url_path, [self], request)[self.pk]
        return self._url


def _live_modules_at(path, depth):
    return ModulePage.objects.filter(path__startswith=path, depth=depth, live=True).order_by("path")


def _siblings_of_learner(path, depth, user_id):
    study = StudyTime.objects.filter(user_id=user_id, module_id=OuterRef("pk"))
    return (
        _live_modules_at(path, depth)
        .annotate(
            done=Exists(ModuleCompletion.objects.filter(user_id=user_id, module_id=OuterRef("pk"))),
            study_ms=Coalesce(Subquery(study.values("active_ms")[:1]), Value(0)),
            study_reported=Coalesce(Subquery(study.values("lesson_reported")[:1]), Value(False)),
        )
        .values("pk", "title", "url_path", "done", "study_ms", "study_reported")
    )


# Compiled once per connection (shixun.config.compiled), read as plain values: the ORM's building of this
# query (three subqueries) and of a Wagtail page instance per module cost ~30% of a warm module page's CPU.
_SIBLINGS_OF_LEARNER = CompiledValues(
    _siblings_of_learner, path="~compiled-module-siblings~", depth=2_073_180_111, user_id=-2_073_180_112
)
_SIBLINGS = CompiledValues(
    lambda path, depth: _live_modules_at(path, depth).values("pk", "title", "url_path"),
    path="~compiled-module-siblings~", depth=2_073_180_113,
)


def _siblings(course, learner):
    """The course's live modules in order; with `done` and the study row for the learner when there is one."""
    if not course.pk:
        return []
    if learner is not None:
        rows = _SIBLINGS_OF_LEARNER.values(path=course.path, depth=course.depth + 1, user_id=learner.pk)
    else:
        rows = _SIBLINGS.values(path=course.path, depth=course.depth + 1)
    return [Sibling(**row) for row in rows]


def _with_url(sibling, course, request, course_url=None):
    """The sibling, able to give its URL (`.url`) when a template shows it (from the course's, if known)."""
    if sibling is not None:
        sibling._url_of = (course, request, course_url)
    return sibling
