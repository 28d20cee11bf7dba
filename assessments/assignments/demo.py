"""Demo assignments in Chinese, placed in the demo courses, with work waiting for review.

- 教学反思：身边的师德楷模 (typed answer, at least 300 characters; handing in completes it)
  → module "shide-kaimo" of 师德师风建设
- 教学设计：核心素养导向的一节课 (Word or PDF; a trainer must accept it)
  → module "kebiao-suyang" of 义务教育课程标准（2022年版）解读
- 多媒体课件 (PowerPoint, PDF or pictures; a trainer must accept it)
  → module "xinxi-kejian" of 信息技术应用能力提升
- 师德反思：依法执教与关爱学生 (typed answer, at least 200 characters; a trainer must accept it)
  → module "shide-fazhi" of 师德师风建设

Hand-ins (through the same services and upload checks as the site): t0002's
reflection (complete); t0006's lesson plan and t0001's and t0002's courseware
waiting for trainer1/trainer2 in the review queue; for the typed 师德 reflection,
t0004's waiting for trainer1 and t0005's returned by trainer1 for revision with
a comment (services.review, as the review page does). Running the seed again
finds everything by title and learner and changes nothing (a hand-in is returned
only when this run made it, so a revision t0005 hands in later is not returned
again).
"""

from __future__ import annotations

import io
import zipfile
from datetime import timedelta

from django.contrib.auth import get_user_model
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from shixun.assessments.uploads import validate_upload
from shixun.courses.models import ModulePage
from shixun.courses.progress import is_enrolled

from . import services
from .models import AnswerMode, Assignment, CompletionRule, Submission

REFLECTION_INSTRUCTIONS = (
    "<p>学习本模块的师德楷模事迹后，写一篇教学反思：</p>"
    "<ol><li>哪一位老师的哪一件事最打动你？为什么？</li>"
    "<li>对照自己最近一学期的工作，有哪些做法值得坚持，哪些需要改进？</li>"
    "<li>写出一条你下个月就能做到的具体改变。</li></ol>"
    "<p>直接在输入框里填写，不少于 300 字。提交即完成本模块的这项任务。</p>"
)
LESSON_PLAN_INSTRUCTIONS = (
    "<p>选择你任教学科的一节课，按照新课标“核心素养导向”的要求写一份教学设计，内容包括：</p>"
    "<ul><li>教学目标（用学生能做到的行为来写，体现核心素养）</li>"
    "<li>教学重点与难点</li><li>教学过程（情境、任务、活动、评价）</li>"
    "<li>作业设计与板书设计</li></ul>"
    "<p>用 Word 或 PDF 文件提交。培训者审核通过后，本模块才算完成；被退回时请按评语修改后重新提交。</p>"
)
COURSEWARE_INSTRUCTIONS = (
    "<p>为自己的一节课制作多媒体课件（不少于 8 页），要求图文清楚、字号适合教室后排阅读。</p>"
    "<p>提交 PowerPoint 或导出的 PDF 文件；也可以提交课件截图。</p>"
)

REFLECTION_TEXT = (
    "读了张桂梅老师的事迹，我最受触动的是她每天清晨五点多就拿着小喇叭催学生起床，十几年如一日。"
    "她的身体并不好，却始终把学生的前途放在第一位。这让我想到，师德不是挂在墙上的口号，"
    "而是体现在每天一件件平凡的小事里。\n\n"
    "对照自己这一学期的工作，我做得比较好的是：坚持每周和两名学习困难的学生谈心，"
    "帮助他们制定小目标，期中考试时他们都有明显进步。需要改进的是：有时因为赶教学进度，"
    "对课堂上提出“奇怪问题”的学生不够耐心，简单一句“下课再说”就打发了，课后也没有再找他们。"
    "这样做可能会打击学生的好奇心，也违背了关爱学生、尊重学生人格的要求。\n\n"
    "下个月我要做到的具体改变是：在每节课的最后留出三分钟“问题时间”，认真回应学生的提问；"
    "当堂回答不了的问题记在本子上，第二天一定给出答复。同时，我会继续坚持每周谈心，"
    "并把谈心记录整理进班级成长档案，期末和家长一起回顾孩子的进步。"
    "我相信，只要把每一件小事做实做细，就是在践行新时代教师的职业道德。"
)

ETHICS_REFLECTION_INSTRUCTIONS = (
    "<p>结合本模块学习的法律法规和自己的教育教学实践，写一篇师德反思：</p>"
    "<ol><li>举出你或身边同事遇到过的一件与依法执教有关的事（如批评教育的方式、学生隐私、家校沟通）。</li>"
    "<li>对照《教师法》《未成年人保护法》和十项准则，分析当时的做法哪些合规、哪些有风险。</li>"
    "<li>写出以后遇到同类情况的具体做法。</li></ol>"
    "<p>直接在输入框里填写，不少于 200 字。培训者审核通过后，本模块才算完成；被退回时请按评语修改后重新提交。</p>"
)
ETHICS_REFLECTION_WAITING = (
    "上学期我班一名学生连续三次没有完成作业，我在课堂上当着全班的面批评了他，还让他站到教室后面听课。"
    "当时我觉得这是严格要求，学习了《未成年人保护法》和十项准则后才认识到，让学生罚站、当众批评，"
    "已经涉及变相体罚和不尊重学生人格，既不合规，也没有解决问题。\n\n"
    "后来我和他单独谈心，才知道他父母外出打工，晚上由奶奶照看，没有人辅导功课。"
    "我和家长通了电话，请学校课后服务的老师帮他在校内完成作业，一个月后他的作业基本能按时上交。\n\n"
    "以后遇到同类情况，我会先了解原因再处理：批评在私下进行，不在家长群里点名，不以罚站、罚抄代替教育；"
    "需要家长配合时，按学校的家校沟通制度联系，并注意保护学生和家庭的隐私。"
)
ETHICS_REFLECTION_RETURNED = (
    "依法执教非常重要。教师要遵守《教师法》和《未成年人保护法》，关爱学生，尊重学生人格，"
    "不体罚和变相体罚学生，不歧视学生，保护学生隐私，做到依法执教、廉洁从教。"
    "我们要认真学习法律法规，提高自己的法律意识，把法律法规落实到教育教学的每一个环节中，"
    "做一名让学生喜欢、让家长放心、让社会满意的好老师。我以后一定会严格要求自己，"
    "认真学习十项准则，依法执教，关爱每一个学生，为学生的健康成长保驾护航。"
    "作为一名人民教师，我深知自己肩上的责任重大。"
)
ETHICS_REFLECTION_COMMENT = (
    "反思只复述了法律条文，没有写到你自己或身边同事遇到的具体事情。请按要求补充一件真实的事，"
    "对照法律和十项准则分析当时做法的得失，再写出今后的具体做法，修改后重新提交。"
)

User = get_user_model()

ASSIGNMENTS = [
    (
        "shide-kaimo",
        {
            "title": "教学反思：身边的师德楷模",
            "instructions": REFLECTION_INSTRUCTIONS,
            "answer_mode": AnswerMode.TEXT,
            "allowed_kinds": [],
            "min_text_chars": 300,
            "completion_rule": CompletionRule.ON_SUBMIT,
            "max_size_mb": 10,
        },
    ),
    (
        "kebiao-suyang",
        {
            "title": "教学设计：核心素养导向的一节课",
            "instructions": LESSON_PLAN_INSTRUCTIONS,
            "answer_mode": AnswerMode.FILE,
            "allowed_kinds": ["word", "pdf"],
            "min_text_chars": 0,
            "completion_rule": CompletionRule.ON_ACCEPT,
            "max_size_mb": 20,
        },
    ),
    (
        "xinxi-kejian",
        {
            "title": "多媒体课件制作",
            "instructions": COURSEWARE_INSTRUCTIONS,
            "answer_mode": AnswerMode.FILE,
            "allowed_kinds": ["powerpoint", "pdf", "image"],
            "min_text_chars": 0,
            "completion_rule": CompletionRule.ON_ACCEPT,
            "max_size_mb": 50,
        },
    ),
    (
        "shide-fazhi",
        {
            "title": "师德反思：依法执教与关爱学生",
            "instructions": ETHICS_REFLECTION_INSTRUCTIONS,
            "answer_mode": AnswerMode.TEXT,
            "allowed_kinds": [],
            "min_text_chars": 200,
            "completion_rule": CompletionRule.ON_ACCEPT,
            "max_size_mb": 10,
        },
    ),
]


def seed(stdout):
    from shixun.courses.demo import add_activity_block

    today = timezone.localdate()
    placed = {}
    for module_slug, fields in ASSIGNMENTS:
        assignment, _created = Assignment.objects.update_or_create(
            title=fields["title"], defaults={**fields, "due_date": today + timedelta(days=30)}
        )
        assignment.full_clean()
        try:
            add_activity_block(module_slug, "assignment", {"assignment": assignment, "required": True})
        except LookupError:
            stdout.write(f"assignments demo: no demo module {module_slug!r}; {assignment.title} not placed")
            continue
        placed[module_slug] = (assignment, ModulePage.objects.get(slug=module_slug))

    handed_in = 0
    handed_in += _hand_in(placed.get("shide-kaimo"), "t0002", text=REFLECTION_TEXT)
    lesson_plan = ("七年级数学《有理数的加法》教学设计.docx", _lesson_plan_docx())
    handed_in += _hand_in(placed.get("kebiao-suyang"), "t0006", file=lesson_plan)
    for username in ("t0001", "t0002"):
        courseware = ("《春》课件.pdf", _courseware_pdf(username))
        handed_in += _hand_in(placed.get("xinxi-kejian"), username, file=courseware)
    ethics_reflection = placed.get("shide-fazhi")
    handed_in += _hand_in(ethics_reflection, "t0004", text=ETHICS_REFLECTION_WAITING)
    if _hand_in(ethics_reflection, "t0005", text=ETHICS_REFLECTION_RETURNED):
        handed_in += 1
        _return_for_revision(ethics_reflection, "t0005", "trainer1", ETHICS_REFLECTION_COMMENT)
    stdout.write(
        f"assignments: {len(placed)} placed, {handed_in} new hand-ins, "
        f"{Submission.objects.filter(status=Submission.Status.SUBMITTED).count()} waiting for review"
    )
    return []


def _hand_in(placement, username: str, *, text: str = "", file: tuple[str, bytes] | None = None) -> int:
    """Hand in through the real checks, once: returns 1 if a new hand-in was made."""
    if placement is None:
        return 0
    assignment, module = placement
    learner = User.objects.filter(username=username).first()
    if learner is None or not is_enrolled(learner, module.get_course()):
        return 0
    if Submission.objects.filter(learner=learner, assignment=assignment, module=module).exists():
        return 0
    clean = None
    if file is not None:
        name, data = file
        clean = validate_upload(
            SimpleUploadedFile(name, data), allowed_kinds=assignment.file_kinds, max_bytes=assignment.max_bytes
        )
    try:
        answer = services.check_answer(assignment, upload=clean, text=text)
        services.submit(learner, module, assignment, answer)
    finally:
        if clean is not None:
            clean.close()
    return 1


def _return_for_revision(placement, username: str, trainer_name: str, comment: str) -> None:
    """The trainer returns the learner's hand-in with a comment, as on the review page (services.review)."""
    assignment, module = placement
    submission = Submission.objects.get(learner__username=username, assignment=assignment, module=module)
    trainer = User.objects.filter(username=trainer_name).first()
    if trainer is None:
        return
    services.review(
        submission.pk,
        trainer,
        version_number=submission.version_count,
        decision=services.Decision.RETURN,
        score=None,
        feedback=comment,
    )


def _lesson_plan_docx() -> bytes:
    """A small but real Word document (the parts Word itself needs), in Chinese."""
    paragraphs = [
        "七年级数学《有理数的加法》教学设计",
        "一、教学目标：学生能用数轴解释有理数加法法则，并能正确进行有理数加法运算，发展运算能力和推理意识。",
        "二、教学重点：有理数加法法则。教学难点：异号两数相加的法则。",
        "三、教学过程：1. 情境导入（足球比赛净胜球）；2. 探究活动（数轴上的两次运动）；"
        "3. 归纳法则；4. 分层练习；5. 课堂小结与评价。",
        "四、作业设计：基础题 5 道，拓展题 2 道（用有理数加法解释生活中的问题）。",
    ]
    body = "".join(f"<w:p><w:r><w:t>{p}</w:t></w:r></w:p>" for p in paragraphs)
    parts = {
        "[Content_Types].xml": (
            '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
            '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
            '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
            '<Default Extension="xml" ContentType="application/xml"/>'
            '<Override PartName="/word/document.xml" '
            'ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"/>'
            "</Types>"
        ),
        "_rels/.rels": (
            '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
            '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
            '<Relationship Id="rId1" '
            'Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" '
            'Target="word/document.xml"/></Relationships>'
        ),
        "word/document.xml": (
            '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
            '<w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main">'
            f"<w:body>{body}</w:body></w:document>"
        ),
    }
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as package:
        for name, content in parts.items():
            package.writestr(name, content)
    return buffer.getvalue()


def _courseware_pdf(username: str) -> bytes:
    """A two-page PDF "courseware" in Chinese, drawn with reportlab's built-in CJK font."""
    from reportlab.lib.pagesizes import A4, landscape
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.cidfonts import UnicodeCIDFont
    from reportlab.pdfgen import canvas

    pdfmetrics.registerFont(UnicodeCIDFont("STSong-Light"))
    buffer = io.BytesIO()
    pdf = canvas.Canvas(buffer, pagesize=landscape(A4), invariant=1)
    pdf.setTitle("《春》课件")
    for title, lines in [
        ("朱自清《春》", ["七年级语文 · 第一单元", f"制作：{username}"]),
        ("学习目标", ["1. 有感情地朗读课文", "2. 品味比喻、拟人等修辞的表达效果", "3. 仿写一段描写春天的文字"]),
    ]:
        pdf.setFont("STSong-Light", 36)
        pdf.drawString(72, 480, title)
        pdf.setFont("STSong-Light", 24)
        for n, line in enumerate(lines):
            pdf.drawString(72, 400 - n * 48, line)
        pdf.showPage()
    pdf.save()
    return buffer.getvalue()
