"""Demo courses: a 课程中心 catalogue with three published courses in Chinese, enrolments and progress.

Stable slugs (the quiz, assignment and H5P demos append activities to these
modules with `add_activity_block`; they run after this seed):

课程中心 catalogue: "courses" (URL /courses/)

师德师风建设 "shide-shifeng" (open: one-click enrolment; trainer1; hours when passed)
  shide-guifan    《中小学教师职业道德规范》解读           3 h
  shide-zhunze    新时代中小学教师职业行为十项准则         3 h
  shide-fazhi     依法执教：教师应知的法律法规             3 h
  shide-kaimo     学习身边的师德楷模                       3 h

义务教育课程标准（2022年版）解读 "kebiao-2022" (by application, 3 places per school; trainer1)
  kebiao-xiuding  课程方案与课程标准修订的背景和变化       2 h
  kebiao-suyang   核心素养导向的教学目标                   3 h
  kebiao-kuake    跨学科主题学习的设计与实施               3 h
  kebiao-pingjia  教学评一体化与学业质量标准               2 h

信息技术应用能力提升 "xinxi-jishu" (assigned to the whole district, also to teachers added later; trainer2)
  xinxi-bangong   办公软件高效使用                         2 h
  xinxi-kejian    多媒体课件设计与制作                     3 h
  xinxi-zaixian   在线教学平台与混合式教学                 3 h

Study time: each module asks its credit hours × SHIXUN_MINUTES_PER_CREDIT_HOUR
(45) minutes of active study, except the minimums a trainer set (STUDY_MINUTES).

Progress: t0001–t0012 enrolled in 师德师风建设; t0001 has finished its first
module (its first due date is past, so the dashboard shows it overdue),
t0002 two modules, t0003 the whole course (each lesson studied for its
minimum time a week ago). Every teacher is assigned
信息技术应用能力提升; t0001 has studied its first lesson. Applications for the
curriculum-standards course stand at every step: t0004 applied, t0005
recommended by the school, t0006 approved (enrolled), t0007 refused by the
school with a reason.

Video lesson: when ffmpeg is installed, a short generated clip (WebM/VP8,
"师德楷模事迹短片") is uploaded as a document and placed in shide-kaimo, where
watching 90 % of it is a required step; without ffmpeg it is skipped with a
message. Completions recorded before keep their hours.

Running the seed again changes nothing that exists: pages are created only
when missing (so activity blocks other demos appended stay), enrolments and
progress go through the same idempotent services.
"""

from datetime import timedelta
from decimal import Decimal

from django.contrib.auth import get_user_model
from django.utils import timezone
from wagtail.models import Page, Site

from shixun.accounts.models import District

from .blocks import LESSON_KEY, ActivityBlock, ModuleBodyBlock
from .models import (
    ActivityProgress,
    ActivityStatus,
    CataloguePage,
    CourseCategory,
    CoursePage,
    CreditPolicy,
    Enrolment,
    EnrolmentApplication,
    EnrolmentMode,
    ModulePage,
)

User = get_user_model()

CATALOGUE_SLUG = "courses"
CATEGORIES = [
    ("shide", "师德师风", "Professional ethics", 10),
    ("kebiao", "课程标准", "Curriculum standards", 20),
    ("xinxi", "信息技术", "Information technology", 30),
    ("banzhuren", "班主任", "Class teachers", 40),
    ("xinjiaoshi", "新教师入职", "New teacher induction", 50),
]
CATALOGUE_EN = {
    "title_en": "Course catalogue",
    "intro_en": "<p>Find courses by theme, audience and hours. Enrol in open courses with one click; assigned "
                "courses are arranged by your school or district; for courses by application, apply first: your "
                "school recommends you and the district education bureau approves before you start.</p>",
}


HOUR_MS = 3_600_000  # between two demo lessons: the next one starts an hour after the last heartbeat

# Minimum study times a trainer set (minutes); every other module asks its hours × 45 minutes.
STUDY_MINUTES = {"shide-kaimo": 90, "kebiao-xiuding": 60, "xinxi-zaixian": 100}


def _p(*paragraphs):
    return "".join(f"<p>{p}</p>" for p in paragraphs)


COURSES = [
    {
        "slug": "shide-shifeng",
        "title": "师德师风建设",
        "category": "shide",
        "mode": EnrolmentMode.OPEN,
        # Graded (transcripts/demo.py): module hours wait for the course to be passed.
        "credit_policy": CreditPolicy.ON_PASS,
        "trainer": "trainer1",
        "summary": "围绕新时代教师职业行为准则和相关法律法规，帮助教师把师德要求落实到日常教育教学中。",
        "description": _p(
            "师德是教师的立身之本。本课程结合《中小学教师职业道德规范》《新时代中小学教师职业行为十项准则》"
            "和身边的真实案例，讲清楚“应该做什么、不能做什么、遇到难题怎么办”。",
            "每个单元约需一课时，可在手机上随时学习。学完全部单元后参加集中考核（校本研修 30% + 集中考核 70%），"
            "考核合格且无故缺勤不满两天，即认定本课程全部学时并颁发证书。",
        ),
        "modules": [
            ("shide-guifan", "《中小学教师职业道德规范》解读", "3.0", -7,
             "逐条理解爱国守法、爱岗敬业、关爱学生、教书育人、为人师表、终身学习六项基本要求。",
             [
                 ("h2", "一、为什么要学习职业道德规范"),
                 ("p", "《中小学教师职业道德规范》是全体中小学教师应当遵循的基本行为准则。它既是对教师的要求，"
                       "也是社会对教师的期待。学习规范，不是为了背条文，而是为了在面对学生、家长和同事时，"
                       "心里有一把尺子。"),
                 ("h2", "二、六项基本要求"),
                 ("p", "爱国守法是前提，爱岗敬业是本分，关爱学生是灵魂，教书育人是天职，为人师表是要求，"
                       "终身学习是动力。六项要求相互联系，共同构成教师职业道德的完整体系。"),
                 ("p", "例如“关爱学生”要求我们关心每一个学生，尊重学生人格，平等公正对待学生，"
                       "不讽刺、挖苦、歧视学生，不体罚或变相体罚学生。"),
                 ("h2", "三、想一想"),
                 ("p", "回顾自己最近一周的工作，哪一件事最能体现“关爱学生”？哪一件事可以做得更好？"
                       "把想法记在研修日志中。"),
             ]),
            ("shide-zhunze", "新时代中小学教师职业行为十项准则", "3.0", 14,
             "学习十项准则的具体内容，结合典型案例分析师德失范行为的界限。",
             [
                 ("h2", "一、十项准则是什么"),
                 ("p", "2018年教育部印发《新时代中小学教师职业行为十项准则》，包括坚定政治方向、自觉爱国守法、"
                       "传播优秀文化、潜心教书育人、关心爱护学生、加强安全防范、坚持言行雅正、秉持公平诚信、"
                       "坚守廉洁自律、规范从教行为。"),
                 ("h2", "二、划清界限"),
                 ("p", "准则中的每一条都明确了“不得”做的事情，例如不得组织、参与有偿补课，"
                       "不得索要、收受学生及家长财物。这些界限保护学生，也保护教师自己。"),
                 ("h2", "三、案例讨论"),
                 ("p", "某教师在家长群里公开点名批评成绩落后的学生。请结合“关心爱护学生”和“坚持言行雅正”"
                       "两条准则，说说这样做有什么问题，应当怎样与家长沟通。"),
             ]),
            ("shide-fazhi", "依法执教：教师应知的法律法规", "3.0", 28,
             "了解《教师法》《未成年人保护法》《义务教育法》中与教师日常工作密切相关的条款。",
             [
                 ("h2", "一、教师的权利和义务"),
                 ("p", "《中华人民共和国教师法》规定了教师享有的教育教学、科学研究、指导评价学生、获取报酬、"
                       "参加培训等权利，也规定了遵守宪法法律、贯彻教育方针、尊重学生人格等义务。"),
                 ("h2", "二、保护未成年人"),
                 ("p", "《未成年人保护法》要求学校和教师尊重未成年人的人格尊严，发现学生可能遭受侵害时及时报告。"
                       "强制报告制度是每位教师都应当熟悉的责任。"),
                 ("h2", "三、练一练"),
                 ("p", "列出你所在学校处理学生欺凌事件的流程，并对照法律要求检查是否有遗漏。"),
             ]),
            ("shide-kaimo", "学习身边的师德楷模", "3.0", 42,
             "走近全国和本地优秀教师的故事，思考如何把师德要求变成自己的日常行动。",
             [
                 ("h2", "一、楷模的力量"),
                 ("p", "张桂梅老师扎根边疆教育一线四十余年，创办全国第一所公办免费女子高中，"
                       "帮助近两千名女孩走出大山。她的故事告诉我们，师德不是口号，而是日复一日的坚持。"),
                 ("h2", "二、身边的榜样"),
                 ("p", "在我们的学校里，也有许多默默付出的老师：坚持家访的班主任，带病上课的老教师，"
                       "耐心辅导学困生的青年教师。请写下一位你身边值得学习的同事和他（她）的一件小事。"),
             ]),
        ],
    },
    {
        "slug": "kebiao-2022",
        "title": "义务教育课程标准（2022年版）解读",
        "category": "kebiao",
        "mode": EnrolmentMode.APPLICATION,
        "quota": 3,
        "trainer": "trainer1",
        "summary": "解读义务教育课程方案和课程标准（2022年版）的主要变化，学习核心素养导向的教学设计。",
        "description": _p(
            "2022年版义务教育课程方案和各学科课程标准正式实施。本课程帮助教师理解修订背景，"
            "把握核心素养、学业质量、跨学科主题学习等关键变化，并落实到课堂教学中。",
            "本课程采用报名审核方式：教师提交申请，学校推荐，区教育局审核通过后即可学习。",
        ),
        "modules": [
            ("kebiao-xiuding", "课程方案与课程标准修订的背景和变化", "2.0", 21,
             "了解本次修订的指导思想、基本原则和主要变化。",
             [
                 ("h2", "一、为什么修订"),
                 ("p", "2011年版课程标准实施十年来，社会发展和育人要求发生了深刻变化。"
                       "新修订的课程方案和课程标准更加强调立德树人，强化课程育人导向。"),
                 ("h2", "二、主要变化"),
                 ("p", "一是确立核心素养导向的课程目标；二是优化课程内容结构，设立跨学科主题学习；"
                       "三是研制学业质量标准；四是增强指导性，加强学段衔接。"),
             ]),
            ("kebiao-suyang", "核心素养导向的教学目标", "3.0", 35,
             "学习如何把学科核心素养转化为可观察、可评价的课时教学目标。",
             [
                 ("h2", "一、什么是核心素养"),
                 ("p", "核心素养是学生通过课程学习逐步形成的正确价值观、必备品格和关键能力。"
                       "例如语文课程的核心素养包括文化自信、语言运用、思维能力和审美创造。"),
                 ("h2", "二、从素养到目标"),
                 ("p", "好的教学目标要写清楚学生在什么情境中、通过什么活动、达到什么表现。"
                       "请尝试把你下周一节课的目标改写成素养导向的表述。"),
             ]),
            ("kebiao-kuake", "跨学科主题学习的设计与实施", "3.0", 49,
             "以真实问题为中心设计跨学科主题学习，每门课程原则上不少于10%的课时。",
             [
                 ("h2", "一、跨学科主题学习的要求"),
                 ("p", "新课程方案要求各门课程用不少于10%的课时设计跨学科主题学习，"
                       "引导学生综合运用多学科知识解决真实问题。"),
                 ("h2", "二、设计步骤"),
                 ("p", "确定真实情境中的驱动性问题，梳理涉及的学科知识，设计学习任务和成果形式，"
                       "制定评价量规。以“校园节水行动”为例，可以融合数学、科学、道德与法治等学科。"),
             ]),
            ("kebiao-pingjia", "教学评一体化与学业质量标准", "2.0", 63,
             "理解学业质量标准的作用，设计与目标一致的课堂评价任务。",
             [
                 ("h2", "一、学业质量标准"),
                 ("p", "学业质量标准以核心素养为主要维度，刻画学生完成某一学段学习后应达到的学业成就表现，"
                       "是教学和评价的重要依据。"),
                 ("h2", "二、教学评一致"),
                 ("p", "目标、活动和评价要指向同一件事。设计评价任务时先问自己："
                       "学生做完这个任务，能不能证明他达到了目标？"),
             ]),
        ],
    },
    {
        "slug": "xinxi-jishu",
        "title": "信息技术应用能力提升",
        "category": "xinxi",
        "mode": EnrolmentMode.ASSIGNED,
        "trainer": "trainer2",
        "summary": "从办公软件、课件制作到在线教学平台，手把手提升日常教学中的信息技术应用能力。",
        "description": _p(
            "本课程面向全体教师，特别照顾不常使用电脑的老师：每一步都配有操作说明，可以在手机上先看，"
            "再到电脑上练习。",
        ),
        "modules": [
            ("xinxi-bangong", "办公软件高效使用", "2.0", 10,
             "用文字处理和电子表格软件完成教案排版、成绩统计等日常工作。",
             [
                 ("h2", "一、教案排版"),
                 ("p", "使用“样式”统一标题和正文格式，使用“目录”功能自动生成目录。"
                       "修改样式后，全文格式会一起更新，不必逐段调整。"),
                 ("h2", "二、成绩统计"),
                 ("p", "在电子表格中使用求和、平均值和条件格式，几分钟就能完成全班成绩统计，"
                       "并把不及格的分数自动标红。"),
             ]),
            ("xinxi-kejian", "多媒体课件设计与制作", "3.0", 24,
             "做出清楚、好读的课件：少字多图、对比明显、适合教室后排的学生观看。",
             [
                 ("h2", "一、课件设计的基本原则"),
                 ("p", "一页只讲一件事；字号不小于28号；颜色对比要明显；图片要清晰并与内容相关。"),
                 ("h2", "二、插入音视频"),
                 ("p", "插入视频前先在教室电脑上测试播放。视频较大时，可以先用格式转换工具压缩。"),
             ]),
            ("xinxi-zaixian", "在线教学平台与混合式教学", "3.0", 38,
             "掌握在线布置作业、组织讨论和查看学习数据的方法，设计线上线下结合的教学。",
             [
                 ("h2", "一、在线布置与批改作业"),
                 ("p", "在平台上发布作业时写清楚要求和截止时间；批改时使用评语模板，节省时间又能给出具体反馈。"),
                 ("h2", "二、混合式教学"),
                 ("p", "课前在线预习，课上集中解决问题，课后在线巩固。根据平台的学习数据，"
                       "找出需要帮助的学生，及时个别辅导。"),
             ]),
        ],
    },
]


def _body(items):
    return [("paragraph", "".join(f"<{tag}>{text}</{tag}>" for tag, text in items))]


def _site_root() -> Page:
    site = Site.objects.filter(is_default_site=True).select_related("root_page").first()
    return site.root_page if site else Page.get_first_root_node()


def _child(parent, model, slug):
    return model.objects.child_of(parent).filter(slug=slug).first()


def _publish_new(parent, page):
    parent.add_child(instance=page)
    page.save_revision().publish()
    return page


def _catalogue() -> CataloguePage:
    root = _site_root()
    catalogue = _child(root, CataloguePage, CATALOGUE_SLUG)
    if catalogue is None:
        catalogue = _publish_new(root, CataloguePage(
            title="课程中心", slug=CATALOGUE_SLUG, **CATALOGUE_EN,
            intro=_p("按主题、适用对象和学时查找课程。开放课程一键报名；指派课程由学校或区里安排；"
                     "报名审核课程需先申请，学校推荐、区教育局审核后开始学习。"),
        ))
    elif not catalogue.title_en:  # a catalogue seeded before it had English fields
        for field, value in CATALOGUE_EN.items():
            setattr(catalogue, field, value)
        catalogue.save_revision().publish()
    return catalogue


def _course(catalogue, spec, categories, today):
    course = _child(catalogue, CoursePage, spec["slug"])
    if course is None:
        course = _publish_new(catalogue, CoursePage(
            title=spec["title"], slug=spec["slug"], summary=spec["summary"], description=spec["description"],
            category=categories[spec["category"]], enrolment_mode=spec["mode"],
            application_quota_per_school=spec.get("quota"), starts_on=today.replace(month=1, day=1),
            credit_policy=spec.get("credit_policy", CreditPolicy.PER_MODULE),
        ))
        trainer = User.objects.filter(username=spec["trainer"]).first()
        if trainer:
            course.trainers.add(trainer)
            course.save_revision().publish()
    modules = []
    for slug, title, hours, due_in_days, introduction, items in spec["modules"]:
        module = _child(course, ModulePage, slug)
        if module is None:
            module = _publish_new(course, ModulePage(
                title=title, slug=slug, credit_hours=Decimal(hours), introduction=introduction,
                due_date=today + timedelta(days=due_in_days), body=_body(items),
                study_minutes=STUDY_MINUTES.get(slug),
            ))
        modules.append(module)
    return course, modules


def _teachers(numbers):
    by_username = {u.username: u for u in User.objects.filter(username__in=[f"t{n:04d}" for n in numbers])}
    return [by_username[f"t{n:04d}"] for n in numbers if f"t{n:04d}" in by_username]


def _finish_modules(user, modules):
    """The learner studied these lessons: their study time, then (through the normal path) the completion.

    One lesson after another from a week ago, as the heartbeats of the module page would have counted them:
    lessons replayed over the same minutes would be "two modules at once" on the trainers' review list.
    """
    from django.db.models import Max

    from .models import StudyTime
    from .study import replay_study

    week_ago_ms = int((timezone.now() - timedelta(days=7)).timestamp() * 1000)
    for module in modules:
        if not ActivityProgress.objects.filter(
            user=user, module=module, activity_key=LESSON_KEY, status=ActivityStatus.DONE
        ).exists():
            last_ms = StudyTime.objects.filter(user=user).aggregate(last=Max("last_beat_ms"))["last"]
            start_ms = week_ago_ms if last_ms is None else max(week_ago_ms, last_ms + HOUR_MS)
            replay_study(user, module, start_ms=start_ms)


def _progress(courses):
    from . import enrolment as services

    ethics, ethics_modules = courses["shide-shifeng"]
    for teacher in _teachers(range(1, 13)):
        services.enrol_self(teacher, ethics)
    # Enrolled at the start of term, so the module due a week ago is really overdue (a due date
    # before the enrolment would be shown as "finish as soon as you can", not as late).
    term_start = timezone.now() - timedelta(days=60)
    Enrolment.objects.filter(course=ethics, enrolled_at__gt=term_start).update(enrolled_at=term_start)
    for number, done in ((1, 1), (2, 2), (3, 4)):
        for teacher in _teachers([number]):
            _finish_modules(teacher, ethics_modules[:done])

    it_course, it_modules = courses["xinxi-jishu"]
    district = District.objects.filter(code="ganzhou").first()
    admin = User.objects.filter(username="district.admin").first()
    if district and admin and not it_course.assignment_rules.exists():
        services.assign_to_group(admin, it_course, district=district, include_future=True)
    for teacher in _teachers([1]):
        if services.active_enrolment(teacher, it_course):
            _finish_modules(teacher, it_modules[:1])

    standards, _modules = courses["kebiao-2022"]
    school_admin = User.objects.filter(username="gz-shiyan.admin").first()
    for teacher in _teachers([4, 5, 6, 7]):
        if EnrolmentApplication.objects.filter(user=teacher, course=standards).exists() or school_admin is None:
            continue
        application = services.apply(teacher, standards, "希望系统学习新课标，改进自己的课堂教学。")
        if teacher.username == "t0007":
            services.refuse_at_school(school_admin, application, "本学期学校已安排你参加市级新课标培训，下学期再报名。")
            continue
        if teacher.username in ("t0005", "t0006"):
            services.recommend(school_admin, application)
        if teacher.username == "t0006" and admin:
            services.approve(admin, EnrolmentApplication.objects.get(pk=application.pk))


def seed(stdout):
    from .moderation import ensure_course_moderation

    today = timezone.localdate()
    categories = {
        slug: CourseCategory.objects.update_or_create(
            slug=slug, defaults={"name": name, "name_en": name_en, "sort_order": order}
        )[0]
        for slug, name, name_en, order in CATEGORIES
    }
    catalogue = _catalogue()
    courses = {spec["slug"]: _course(catalogue, spec, categories, today) for spec in COURSES}
    ensure_course_moderation()
    _progress(courses)
    _video_lesson(stdout)
    stdout.write(
        f"courses: catalogue /{CATALOGUE_SLUG}/, {len(courses)} courses, "
        f"{ModulePage.objects.descendant_of(catalogue).count()} modules; "
        f"applications {EnrolmentApplication.objects.filter(course__in=[c for c, _m in courses.values()]).count()}"
    )
    return []


VIDEO_TITLE = "师德楷模事迹短片"
VIDEO_MODULE = "shide-kaimo"
VIDEO_SECONDS = 12


def make_clip(path, seconds: int) -> None:
    """A short real video (WebM/VP8, which every browser plays) made by ffmpeg from its test pattern."""
    import shutil
    import subprocess

    # Fixed arguments and the absolute path of the installed ffmpeg: no outside input reaches the command.
    subprocess.run(  # noqa: S603
        [shutil.which("ffmpeg"), "-v", "error", "-f", "lavfi", "-i", "testsrc=size=320x180:rate=15", "-t", str(seconds),
         "-c:v", "libvpx", "-b:v", "150k", "-deadline", "realtime", "-an", "-y", str(path)],
        check=True, timeout=300,
    )


def _video_lesson(stdout) -> None:
    """The lesson video of shide-kaimo, generated with ffmpeg; skipped (with a message) when ffmpeg is missing."""
    import shutil
    import tempfile
    from pathlib import Path

    from django.core.files import File
    from wagtail.documents import get_document_model

    module = ModulePage.objects.filter(slug=VIDEO_MODULE).first()
    if module is None:
        return
    Document = get_document_model()
    video = Document.objects.filter(title=VIDEO_TITLE).first()
    if video is None:
        if shutil.which("ffmpeg") is None:
            stdout.write("courses demo: ffmpeg is not installed, so the demo video lesson is skipped "
                         "(apt-get install ffmpeg, then run seed_demo again)")
            return
        with tempfile.TemporaryDirectory() as folder:
            path = Path(folder) / "shide-kaimo.webm"
            make_clip(path, VIDEO_SECONDS)
            with path.open("rb") as handle:
                video = Document.objects.create(
                    title=VIDEO_TITLE, file=File(handle, name="shide-kaimo.webm"),
                    uploaded_by_user=User.objects.filter(username="trainer1").first(),
                )
    draft = module.get_latest_revision_as_object()
    if any(child.block_type == "video" and child.value.get("file") == video for child in draft.body):
        return
    draft.body.append(("video", {"title": VIDEO_TITLE, "file": video, "embed": None}))
    draft.save_revision().publish()


def add_activity_block(module_slug: str, block_type: str, value: dict) -> bool:
    """Append an activity block to a demo module and publish it, unless that activity is there already.

    For the quiz, assignment and H5P demos, e.g.
    `add_activity_block("shide-guifan", "quiz", {"quiz": quiz, "required": True})`.
    Returns True when it appended, False when the module already places that
    activity (so demos can run again). Raises LookupError for an unknown module
    slug and ValueError for a block type that is not an activity.
    """
    catalogue = CataloguePage.objects.filter(slug=CATALOGUE_SLUG).first()
    modules = ModulePage.objects.filter(slug=module_slug)
    if catalogue is not None:
        modules = modules.descendant_of(catalogue)
    module = modules.first()
    if module is None:
        raise LookupError(f"no demo module with slug {module_slug!r}")
    block = ModuleBodyBlock().child_blocks.get(block_type)
    if not isinstance(block, ActivityBlock):
        raise ValueError(f"{block_type!r} is not an activity block")
    value = block.normalize({"required": True, **value})
    key = block.activity_key(value)
    draft = module.get_latest_revision_as_object()
    for child in draft.body:
        if child.block_type == block_type and child.block.activity_key(child.value) == key:
            return False
    draft.body.append((block_type, value))
    draft.save_revision().publish()
    return True
