"""The scheme's printable forms, filled from the data already held.

- appraisal form (考核登记表): three copies, each page marked for who keeps
  it (局存 / 培训学校存 / 本人存), with signature and stamp areas;
- enrolment form (报名表): two copies (推荐学校存 / 培训学校存);
- personal information form (个人信息登记表).

Chinese text in the scheme's own wording (the forms are the district's
paper, not interface text). The font is transcripts.pdf's embedded CJK
font, so every reader shows them.
"""

import io

from django.http import Http404, HttpResponse
from django.utils import timezone
from django.views.decorators.http import require_GET
from reportlab.lib import colors
from reportlab.lib.enums import TA_CENTER, TA_RIGHT
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.platypus import PageBreak, Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

from shixun.accounts.people import profile_of
from shixun.transcripts.pdf import cjk_font

from . import rules, services
from .models import Attendance, Leave

APPRAISAL_COPIES = ("局存", "培训学校存", "本人存")
ENROLMENT_COPIES = ("推荐学校存", "培训学校存")


def _styles():
    font = cjk_font()
    return {
        "title": ParagraphStyle("t", fontName=font, fontSize=18, leading=26, alignment=TA_CENTER, spaceAfter=4),
        "copy": ParagraphStyle("c", fontName=font, fontSize=10, leading=14, alignment=TA_RIGHT),
        "cell": ParagraphStyle("cell", fontName=font, fontSize=10, leading=14),
        "small": ParagraphStyle("s", fontName=font, fontSize=8, leading=11, textColor=colors.grey),
    }


def _esc(text) -> str:
    return str(text if text is not None else "").replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _table(rows, widths, styles):
    data = [[Paragraph(_esc(cell).replace("\n", "<br/>"), styles["cell"]) for cell in row] for row in rows]
    table = Table(data, colWidths=widths)
    table.setStyle(TableStyle([
        ("GRID", (0, 0), (-1, -1), 0.6, colors.black),
        ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
        ("FONTNAME", (0, 0), (-1, -1), cjk_font()),
    ]))
    return table


def _d(day) -> str:
    return f"{day.year}年{day.month}月{day.day}日" if day else ""


def _base(participant):
    return str(participant.base_school.school) if participant.base_school_id else ""


def _mentor(participant):
    return profile_of(participant.mentor).display_name if participant.mentor_id else ""


def _attendance_summary(participant) -> tuple[int, int, int]:
    present = Attendance.objects.filter(participant=participant, status=Attendance.Status.PRESENT).count()
    leave = Leave.objects.filter(
        participant=participant, mentor_approved_by__isnull=False, school_approved_by__isnull=False
    ).count()
    unexcused = services.unexcused_for([participant])[participant.pk]
    return present, leave, unexcused


def appraisal_story(participant, styles):
    programme = participant.programme
    teacher = profile_of(participant.teacher)
    counts = services.counts_for([participant])[participant.pk]
    present, leave, unexcused = _attendance_summary(participant)
    done = "；".join(f"{t.label} {t.done}/{t.target}" for t in rules.progress(programme, counts))
    result = ""
    if participant.passed is not None:
        result = "合格" if participant.passed else "不合格"
    story = []
    for n, copy in enumerate(APPRAISAL_COPIES):
        if n:
            story.append(PageBreak())
        story += [
            Paragraph(f"（{copy}）", styles["copy"]),
            Paragraph(_esc(f"{programme.title}"), styles["title"]),
            Paragraph("跟岗研修学员考核登记表", styles["title"]),
            Spacer(1, 4 * mm),
        ]
        w = 170 * mm / 4
        story.append(_table([
            ["姓名", teacher.display_name, "工号", teacher.staff_number],
            ["推荐学校", str(participant.nominating_school), "学段 / 学科",
             f"{participant.get_stage_display()} / {participant.subject}"],
            ["基地校", _base(participant), "指导教师", _mentor(participant)],
            ["研修时间", f"{_d(programme.start_date)}至{_d(programme.end_date)}", "成绩",
             "" if participant.score is None else f"{participant.score}"],
            ["出勤情况", f"出勤{present}天，请假{leave}天，无故缺勤{unexcused}天", "考核结果", result],
        ], [w * 0.8, w * 1.4, w * 0.8, w * 1.0], styles))
        story.append(_table([
            ["任务完成情况", done],
            ["导师指导小结", participant.guidance or ""],
            ["导师书面鉴定", (participant.appraisal or "") + "\n\n导师签名：                    年    月    日"],
            ["基地校意见", "\n\n\n（盖章）                              年    月    日"],
            ["教育局（教师进修学校）意见", "\n\n\n（盖章）                              年    月    日"],
        ], [40 * mm, 130 * mm], styles))
        story.append(Spacer(1, 3 * mm))
        story.append(Paragraph("本表一式三份：局存、培训学校存、本人存。", styles["small"]))
    return story


def enrolment_story(participant, styles):
    programme = participant.programme
    teacher = profile_of(participant.teacher)
    age = rules.age_on(participant.birth_date, programme.start_date)
    categories = "、".join(c.name for c in teacher.categories.all()) if teacher.pk else ""
    story = []
    for n, copy in enumerate(ENROLMENT_COPIES):
        if n:
            story.append(PageBreak())
        story += [
            Paragraph(f"（{copy}）", styles["copy"]),
            Paragraph(_esc(programme.title), styles["title"]),
            Paragraph("跟岗研修报名表", styles["title"]),
            Spacer(1, 4 * mm),
        ]
        w = 170 * mm / 4
        story.append(_table([
            ["姓名", teacher.display_name, "工号", teacher.staff_number],
            ["出生日期", _d(participant.birth_date), "年龄", f"{age}岁"],
            ["所在学校", str(participant.nominating_school), "联系电话", teacher.phone],
            ["学段", participant.get_stage_display(), "学科", str(participant.subject)],
            ["教师类别", categories, "任教时间", _d(teacher.start_date)],
            ["基地校", _base(participant), "指导教师", _mentor(participant)],
        ], [w * 0.8, w * 1.4, w * 0.8, w * 1.0], styles))
        story.append(_table([
            ["推荐学校意见", "\n\n\n校长签名：            （盖章）            年    月    日"],
            ["教育局审核意见", "\n\n\n（盖章）                              年    月    日"],
        ], [40 * mm, 130 * mm], styles))
        story.append(Spacer(1, 3 * mm))
        story.append(Paragraph("本表一式两份：推荐学校存、培训学校存。", styles["small"]))
    return story


def information_story(participant, styles):
    programme = participant.programme
    teacher = profile_of(participant.teacher)
    user = participant.teacher
    categories = "、".join(c.name for c in teacher.categories.all()) if teacher.pk else ""
    subjects = "、".join(s.name for s in teacher.subjects.all()) if teacher.pk else ""
    w = 170 * mm / 4
    return [
        Paragraph(_esc(programme.title), styles["title"]),
        Paragraph("个人信息登记表", styles["title"]),
        Spacer(1, 4 * mm),
        _table([
            ["姓名", teacher.display_name, "工号", teacher.staff_number],
            ["出生日期", _d(participant.birth_date), "联系电话", teacher.phone],
            ["电子邮箱", getattr(user, "email", ""), "区县", str(teacher.district or "")],
            ["工作单位", str(participant.nominating_school), "任教时间", _d(teacher.start_date)],
            ["任教学科", subjects or str(participant.subject), "教师类别", categories],
            ["研修学段", participant.get_stage_display(), "研修学科", str(participant.subject)],
            ["基地校", _base(participant), "指导教师", _mentor(participant)],
        ], [w * 0.8, w * 1.4, w * 0.8, w * 1.0], styles),
        Spacer(1, 3 * mm),
        Paragraph(f"填表日期：{_d(timezone.localdate())}", styles["small"]),
    ]


FORMS = {
    "appraisal": ("考核登记表", appraisal_story),
    "enrolment": ("报名表", enrolment_story),
    "information": ("个人信息登记表", information_story),
}


def render_form(participant, form: str) -> bytes:
    title, build = FORMS[form]
    out = io.BytesIO()
    doc = SimpleDocTemplate(out, pagesize=A4, leftMargin=20 * mm, rightMargin=20 * mm, topMargin=18 * mm,
                            bottomMargin=18 * mm, title=title, author="Shixun")
    doc.build(build(participant, _styles()))
    return out.getvalue()


@require_GET
def form_pdf(request, pk, form):
    from django.contrib.auth.views import redirect_to_login

    from .views import _participant

    if not request.user.is_authenticated:
        return redirect_to_login(request.get_full_path())
    participant = _participant(request, pk)
    if form not in FORMS:
        raise Http404
    response = HttpResponse(render_form(participant, form), content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="shadowing-{participant.pk}-{form}.pdf"'
    return response
