"""Demo course evaluations: 甘州区's form, placed at the end of two demo courses, with answers.

- 师德师风建设 ("shide-kaimo", its last module): 7 answers, above the threshold
  of 5, so the district office and trainer1 see averages and comments.
- 信息技术应用能力提升 ("xinxi-zaixian"): 3 answers, below it: only the count.

The form is placed as optional, so the demo's completions, hours and
certificates stay as the other demos (and their tests) compute them. The
answers stand for last term's learners: they are written as the anonymous
Response rows they are, not through demo teachers finishing the courses.
Running the seed again finds the form and the answers and changes nothing.
"""

from __future__ import annotations

from django.utils import timezone

from shixun.accounts.models import District
from shixun.courses.demo import add_activity_block
from shixun.courses.models import ModulePage

from .models import EvaluationTemplate, Response

TEMPLATE_TITLE = "甘州区教师培训学员评价表"
ANSWERS = {
    "shide-kaimo": [
        (5, 5, 4, 5, "楷模事迹很感人，希望多请身边的优秀教师来分享。"),
        (4, 5, 4, 4, "课程安排紧凑，线上学习时间比较灵活。"),
        (5, 4, 5, 5, ""),
        (4, 4, 3, 4, "法律法规部分可以多一些案例。"),
        (5, 5, 5, 5, "=很实用，已推荐给同事"),  # a formula-looking comment: shown as text, neutralised in CSV
        (3, 4, 4, 3, "视频在手机上加载较慢。"),
        (4, 5, 4, 4, ""),
    ],
    "xinxi-zaixian": [
        (4, 4, 4, 5, "课件制作部分很有帮助。"),
        (3, 4, 3, 4, ""),
        (5, 4, 4, 5, "希望增加直播课的实操演练。"),
    ],
}


def seed(stdout):
    district = District.objects.filter(code="ganzhou").first()
    if district is None:
        stdout.write("evaluations: no demo district, skipped")
        return []
    template, _created = EvaluationTemplate.objects.get_or_create(
        district=district, title=TEMPLATE_TITLE,
        defaults={"intro": "请根据本次培训的实际情况如实评价。评价为匿名填写，结果仅用于改进培训工作。"},
    )
    year = timezone.localdate().year
    for module_slug, answers in ANSWERS.items():
        add_activity_block(module_slug, "evaluation", {"evaluation_template": template, "required": False})
        module = ModulePage.objects.filter(slug=module_slug).first()
        course_id = module.get_parent().pk
        if Response.objects.filter(template=template, course_id=course_id).exists():
            continue
        Response.objects.bulk_create([
            Response(template=template, course_id=course_id, district=district, year=year, content=c, trainer=t,
                     organisation=o, usefulness=u, comment=comment)
            for c, t, o, u, comment in answers
        ])
    stdout.write(
        f"evaluations: form “{TEMPLATE_TITLE}”, {Response.objects.filter(template=template).count()} answers"
    )
    return []
