"""Demo credit data: the district's requirement rules, posted completions, a few
external and manual entries, and certificates for completed courses.

师德师风建设 (trainer1) is graded: 校本研修 30 % + 集中考核 70 %, pass mark 60,
two days absent void the certificate, 4 extra hours on passing. t0003 has
completed it and has the school-based score and attendance on record; the
centralised score is left for trainer1 to enter on the grade sheet
(管理后台 → 成绩, or the course's “成绩” button), which issues the certificate.

The attendance demo's blended course 课堂观察与评课 is graded too (研讨与评课表现 40 %
+ 评课报告 60 %, pass mark 60) and posts its hours only when passed; its grade
sheet shows each teacher's unexcused absence days from the sessions'
attendance (t0005 missed the first session without leave), and two such days
void the certificate.

The study review (/transcript/review/) has one pattern to show: t0010 had two lessons of 师德师风建设 open
at once three hours before the seed (《中小学教师职业道德规范》解读 and 新时代中小学教师职业行为十项准则), their
heartbeats interleaved for up to 20 minutes, short of each lesson's minimum (no lesson finished, no hour owed),
recorded through the heartbeat service itself; every other demo teacher studied one lesson after another.

Idempotent: rules are updated by name, entries are keyed by their source (a
second run posts nothing new), certificates are one per course completion.
"""

from datetime import date, timedelta
from decimal import Decimal

from django.contrib.auth import get_user_model
from django.utils import timezone

from shixun.accounts.models import District, TeacherCategory
from shixun.config.conf import shixun_settings

from .certificates import process_course_completion, record_attendance, record_component_score
from .ledger import post_entry, reconcile
from .models import CourseAttendance, CourseCreditSettings, GradeComponent, PeriodKind, RequirementRule, SourceKind

User = get_user_model()

CLASS_TEACHER_CATEGORY = ("班主任工作", "class-teacher-work", "Class teacher work")

RULES = [
    # name, period, cycle start, cycle years, minimum, teacher categories, counted course category
    ("五年周期累计 360 学时", PeriodKind.CYCLE, 2021, 5, "360", [], None),
    ("每年不少于 80 学时", PeriodKind.CALENDAR_YEAR, None, None, "80", [], None),
    ("新任教师岗前培训 120 学时", PeriodKind.FIRST_YEAR, None, None, "120", ["new"], None),
    ("班主任专题培训 30 学时", PeriodKind.CYCLE, 2021, 5, "30", ["class_teacher"], CLASS_TEACHER_CATEGORY),
]

EXTERNAL = [
    # username, title, hours, days ago, course category name or None
    ("t0001", "市级骨干教师培训（线下）", "24", 200, None),
    ("t0001", "班主任工作能力提升研修（线下）", "12", 120, CLASS_TEACHER_CATEGORY),
    ("t0002", "校本研修：新课标下的作业设计", "16", 90, None),
    ("t0003", "省级信息技术应用能力提升工程 2.0", "50", 400, None),
]


def _course_category(name_slug):
    from shixun.courses.models import CourseCategory

    name, slug, name_en = name_slug
    category = CourseCategory.objects.filter(name=name).first() or CourseCategory.objects.filter(slug=slug).first()
    if category is None:
        category = CourseCategory.objects.create(name=name, slug=slug, name_en=name_en, sort_order=90)
    elif not category.name_en:
        CourseCategory.objects.filter(pk=category.pk).update(name_en=name_en)
    return category


GRADED_COURSE_SLUG = "shide-shifeng"
GRADE_COMPONENTS = [("校本研修", 30), ("集中考核", 70)]


def _graded_course():
    """Weighted components and an attendance rule on one demo course, with one learner half-graded."""
    from shixun.courses.models import CoursePage

    course = CoursePage.objects.filter(slug=GRADED_COURSE_SLUG).first()
    if course is None:
        return None
    settings, _ = CourseCreditSettings.objects.get_or_create(
        course=course,
        defaults={"pass_mark": Decimal("60"), "void_at_absent_days": 2, "award_hours": Decimal("4")},
    )
    components = {}
    for order, (name, weight) in enumerate(GRADE_COMPONENTS):
        components[name], _ = GradeComponent.objects.get_or_create(
            settings=settings, name=name, defaults={"weight": weight, "sort_order": order}
        )
    trainer = User.objects.filter(username="trainer1").first()
    learner = User.objects.filter(username="t0003").first()
    if learner is not None:
        # Only what is missing: a score trainer1 changed in the demo stays.
        if not components["校本研修"].scores.filter(learner=learner).exists():
            record_component_score(learner, components["校本研修"], Decimal("85"), recorded_by=trainer, evaluate=False)
        if not CourseAttendance.objects.filter(learner=learner, course=course).exists():
            record_attendance(learner, course, 0, recorded_by=trainer, evaluate=False)
    return course


BLENDED_COURSE_SLUG = "hunhe-guancha"  # the attendance demo's blended course
BLENDED_COMPONENTS = [("研讨与评课表现", 40), ("评课报告", 60)]


def _blended_course():
    """The attendance demo's blended course, graded like a centralised course (issue #20): hours post only when
    the course is passed, and two days of unexcused absence (read from its sessions' attendance) void it."""
    from shixun.courses.models import CoursePage, CreditPolicy

    course = CoursePage.objects.filter(slug=BLENDED_COURSE_SLUG).first()
    if course is None:
        return None
    if course.credit_policy != CreditPolicy.ON_PASS:
        course.credit_policy = CreditPolicy.ON_PASS
        course.save_revision().publish()
    settings, _ = CourseCreditSettings.objects.get_or_create(
        course=course, defaults={"pass_mark": Decimal("60"), "void_at_absent_days": 2, "award_hours": Decimal("0")},
    )
    for order, (name, weight) in enumerate(BLENDED_COMPONENTS):
        GradeComponent.objects.get_or_create(settings=settings, name=name, defaults={"weight": weight,
                                                                                     "sort_order": order})
    return course


TWO_AT_ONCE_TEACHER = "t0010"
TWO_AT_ONCE_MODULES = ("shide-guifan", "shide-zhunze")
TWO_AT_ONCE_MAX_BEATS = 40  # 20 minutes of each lesson at the 30 s heartbeat


def _two_modules_at_once():
    """t0010's two open lessons, beat by beat as two module pages would send them (courses.study's
    record_heartbeat, the heartbeat view's own service): the review list's "two modules at once".

    Short of each lesson's minimum, so no lesson completes and no hours follow. Only once: a teacher
    with study time on either module is left as they are. Returns the number of heartbeats recorded.
    """
    from shixun.courses.enrolment import active_enrolment
    from shixun.courses.models import ModulePage, StudyTime
    from shixun.courses.study import record_heartbeat, required_ms

    learner = User.objects.filter(username=TWO_AT_ONCE_TEACHER).first()
    modules = list(ModulePage.objects.filter(slug__in=TWO_AT_ONCE_MODULES).order_by("slug"))
    if learner is None or len(modules) != 2 or StudyTime.objects.filter(user=learner, module__in=modules).exists():
        return 0
    if not all(active_enrolment(learner, module.get_parent().specific) for module in modules):
        return 0
    interval_ms = round(shixun_settings.SHIXUN_STUDY_HEARTBEAT_SECONDS * 1000)
    # Each beat after the first credits one interval: stop while both lessons are still short of their minimum.
    shortest = min(required_ms(m) for m in modules)
    beats = min(TWO_AT_ONCE_MAX_BEATS, (shortest - 1) // interval_ms)
    start_ms = int((timezone.now() - timedelta(hours=3)).timestamp() * 1000)  # recent: rows are dated by creation
    for n in range(beats + 1):
        for page, module in enumerate(modules):
            # The second page beats a third of an interval after the first: each credited while the other beats.
            at = start_ms + n * interval_ms + page * (interval_ms // 3)
            record_heartbeat(learner, module, start=n == 0, at=at)
    return 2 * (beats + 1)


def seed(stdout):
    from shixun.courses.models import CourseCompletion

    district = District.objects.filter(code="ganzhou").first()
    if district is None:
        stdout.write("transcripts: no demo district, skipped")
        return []
    for order, (name, period, start, years, minimum, categories, counted) in enumerate(RULES):
        rule, _ = RequirementRule.objects.update_or_create(
            district=district,
            name=name,
            defaults={
                "period_kind": period,
                "cycle_start_year": start,
                "cycle_years": years,
                "minimum_hours": Decimal(minimum),
                "counted_category": _course_category(counted) if counted else None,
                "sort_order": order,
                "active": True,
            },
        )
        rule.teacher_categories.set(TeacherCategory.objects.filter(code__in=categories))

    graded = _graded_course()
    _blended_course()
    posted = reconcile(via="demo")
    today = timezone.localdate()
    external = 0
    for username, title, hours, days_ago, category in EXTERNAL:
        learner = User.objects.filter(username=username).first()
        if learner is None:
            continue
        result = post_entry(
            learner=learner,
            hours=Decimal(hours),
            title=title,
            source_kind=SourceKind.EXTERNAL_TRAINING,
            source_ref=f"demo:{username}:{title}"[:64],
            earned_on=date.fromordinal(today.toordinal() - days_ago),
            category_id=_course_category(category).pk if category else None,
            via="demo",
        )
        external += result.created
    admin = User.objects.filter(username="district.admin").first()
    learner = User.objects.filter(username="t0002").first()
    if learner and admin:
        result = post_entry(
            learner=learner,
            hours=Decimal("6"),
            title="补登：2023 年暑期师德师风集中学习",
            source_kind=SourceKind.MANUAL_ADJUSTMENT,
            source_ref="demo:t0002:manual-2023-summer",
            earned_on=date(2023, 7, 15),
            posted_by=admin,
            reason="纸质签到表核实后补登",
            via="demo",
        )
        external += result.created

    certificates = 0
    for completion_id in CourseCompletion.objects.values_list("pk", flat=True):
        certificates += process_course_completion(completion_id, via="demo") is not None
    overlapping = _two_modules_at_once()
    stdout.write(
        f"transcripts: {len(RULES)} rules, {posted} completion(s) posted, {external} other entries, "
        f"{certificates} certificate(s)"
        + (f"; grade sheet for “{graded.title}” ready for trainer1" if graded else "")
        + (f"; {TWO_AT_ONCE_TEACHER} studied two modules at once ({overlapping} heartbeats)" if overlapping else "")
    )
    return []
