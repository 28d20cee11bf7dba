"""Demo shadowing training: 甘州区新乐小学 as base school with two mentors.

- 2026 autumn programme, running (started three weeks ago): three visiting
  teachers part-way through, with journals, observations, lessons and
  attendance in different amounts;
- the spring programme, closed: one teacher who completed everything,
  passed, and has the 60 hours on their transcript, as has the mentor.

Runs after accounts' demo (people) in seed_demo. Idempotent: programmes by
title, participations by teacher, records only for a participation that has
none yet, and the close posts through the ledger's unique keys.
"""

from datetime import date, timedelta

from django.contrib.auth import get_user_model
from django.utils import timezone

from shixun.accounts.actors import SYSTEM
from shixun.accounts.demo import DEMO_PASSWORD
from shixun.accounts.models import District, School

from . import services
from .models import BaseSchool, JournalDay, Participant, Place, Programme, Stage, Writing

User = get_user_model()

BASE_SCHOOL = "gz-xinle"
MENTORS = ("t0021", "t0022")
RUNNING = "2026年秋季骨干教师跟岗研修"
CLOSED = "2026年春季骨干教师跟岗研修"
# (username, nominating school, stage, date of birth, mentor, working days recorded so far)
VISITORS = [
    ("t0002", "gz-shiyan", Stage.PRIMARY, date(1986, 3, 12), "t0021", 9),
    ("t0012", "gz-no2-middle", Stage.JUNIOR, date(1990, 7, 2), "t0022", 6),
    ("t0013", "gz-no2-middle", Stage.SENIOR, date(1984, 11, 20), "t0021", 3),
]
COMPLETE = ("t0004", "gz-shiyan", Stage.PRIMARY, date(1988, 5, 6), "t0021")
JOURNAL = ("上午听{mentor}老师的课，重点观察课堂提问的层次和学生小组合作的组织方式；下午参加教研组集体备课，"
           "讨论单元整体教学设计。收获：提问要有梯度，评价要及时具体，回校后准备在本班试用。")
# Working day (index) → activity on it.
ACTIVITIES = {3: ("research", "参加学科组集体备课与评课。"), 4: ("class", "参与组织主题班会“学会合作”。")}
APPRAISAL = ("该同志跟岗期间全勤，无请假、无缺勤。认真听课、上课，完成汇报课一节，积极参加教研活动和班级活动，"
             "研修日志和教学反思记录详实，研修报告有实践价值。考核合格。")

PLAN = "第一周跟岗听课，学习课堂提问与小组合作的组织；第二周上汇报课并参加教研活动；回校后在本班实践并写研究报告。"
GUIDANCE = "每天听评课一节，三次指导教学设计，汇报课前两次磨课，重点帮助其改进提问梯度与课堂评价。"
BASE_REPORT = ("本校接收跟岗教师一名，导师认真履职，听评课、磨课、教研活动均按计划完成；学员学习主动、记录详实。"
               "建议下期增加同课异构和跨校交流。")


def _working_days(start: date, end: date) -> list[date]:
    days, day = [], start
    while day <= end:
        if day.weekday() < 5:
            days.append(day)
        day += timedelta(days=1)
    return days


def _programme(district, title, start, end, subjects, base_school):
    programme, _ = Programme.objects.get_or_create(
        district=district, title=title, defaults={"start_date": start, "end_date": end}
    )
    programme.subjects.add(*subjects)
    base, _ = BaseSchool.objects.get_or_create(programme=programme, school=base_school)
    for subject in subjects:
        Place.objects.get_or_create(base_school=base, subject=subject, defaults={"places": 3})
    return programme, base


def _subject_of(user):
    from shixun.accounts.models import Subject

    return user.shixun_profile.subjects.first() or Subject.objects.get_or_create(name="语文")[0]


def _join(programme, base, username, school_code, stage, birth, mentor_name):
    teacher = User.objects.get(username=username)
    existing = Participant.objects.filter(programme=programme, teacher=teacher).first()
    if existing is not None:
        return existing
    participant = services.nominate(
        SYSTEM, programme, teacher=teacher, school=School.objects.get(code=school_code), stage=stage,
        subject=_subject_of(teacher), birth_date=birth,
    )
    return services.assign_mentor(SYSTEM, participant, base, User.objects.get(username=mentor_name))


def _record_days(participant, days):
    """Working days of records through the services (the same rules a teacher meets)."""
    teacher, mentor = participant.teacher, participant.mentor
    mentor_name = mentor.shixun_profile.full_name
    for n, day in enumerate(days):
        services.record_attendance(SYSTEM, participant, day=day, status="present")
        services.save_journal(teacher, participant, day=day, text=JOURNAL.format(mentor=mentor_name[:1]))
        for period in ("第二节", "第四节"):
            services.add_observation(
                teacher, participant, day=day, class_name=f"{3 + n % 3}年级({1 + n % 2})班",
                subject=str(participant.subject), observed_teacher=mentor_name,
                notes=f"{period}：导入自然，问题设计有梯度；小组合作分工明确，展示环节时间稍紧。",
            )
        if n in (2, 5, 8):
            services.add_lesson(teacher, participant, day=day, class_name="四年级(2)班",
                                topic=f"第{n // 3 + 1}课时 单元整体教学", is_report_lesson=(n == 8))
        if n in ACTIVITIES:
            kind, description = ACTIVITIES[n]
            services.add_activity(teacher, participant, day=day, kind=kind, description=description)
    first = JournalDay.objects.filter(participant=participant).first()
    if first is not None:
        services.comment(SYSTEM, participant, kind="journal", record_id=first.pk, text="记录具体，反思到位，继续保持。")


def _writings(participant, reflections: int, report: bool, on: date):
    # Written in the past programme's time: created directly with their dates
    # (save_writing dates a writing today, and the spring programme is over).
    for n in range(reflections):
        Writing.objects.get_or_create(
            participant=participant, kind=Writing.Kind.REFLECTION, title=f"教学反思（{n + 1}）",
            defaults={"text": "本节课的反思：" + "课堂提问的梯度与学生思维发展的关系值得继续研究。" * 15,
                      "submitted_on": on},
        )
    if report:
        Writing.objects.get_or_create(
            participant=participant, kind=Writing.Kind.REPORT,
            defaults={"title": "小学课堂提问有效性的行动研究",
                      "text": "研究背景、研究过程与结论：" + "通过三轮课堂观察与改进，提问的有效性明显提高。" * 45,
                      "submitted_on": on},
        )


def seed(stdout):
    district = District.objects.filter(code="ganzhou").first()
    base_school = School.objects.filter(code=BASE_SCHOOL).first()
    if district is None or base_school is None or not User.objects.filter(username__in=MENTORS).count() == 2:
        stdout.write("shadowing: no demo district or people, skipped")
        return []
    today = timezone.localdate()
    people = [v[0] for v in VISITORS] + [COMPLETE[0]]
    subjects = {_subject_of(u) for u in User.objects.filter(username__in=people).select_related("shixun_profile")}

    start = today - timedelta(days=21)
    running, base = _programme(district, RUNNING, start, today + timedelta(days=20), subjects, base_school)
    for username, school_code, stage, birth, mentor, recorded in VISITORS:
        participant = _join(running, base, username, school_code, stage, birth, mentor)
        if not JournalDay.objects.filter(participant=participant).exists():
            _record_days(participant, _working_days(start, today - timedelta(days=1))[:recorded])
        if not participant.plan:
            services.save_plan(participant.teacher, participant, text=PLAN)

    spring_start = today - timedelta(days=120)
    spring_end = spring_start + timedelta(days=27)
    spring, spring_base = _programme(district, CLOSED, spring_start, spring_end, subjects, base_school)
    if not spring.is_closed:
        username, school_code, stage, birth, mentor = COMPLETE
        participant = _join(spring, spring_base, username, school_code, stage, birth, mentor)
        if not JournalDay.objects.filter(participant=participant).exists():
            _record_days(participant, _working_days(spring_start, spring_end)[:10])
            _writings(participant, 3, True, spring_end)
        services.save_guidance(SYSTEM, participant, text=GUIDANCE)
        services.appraise(SYSTEM, participant, score="91", appraisal=APPRAISAL)
        # The base school's report, in the past programme's time (its window is long over).
        BaseSchool.objects.filter(pk=spring_base.pk, report="").update(
            report=BASE_REPORT, report_submitted_at=timezone.now() - timedelta(days=88)
        )
        services.close_programme(SYSTEM, spring)  # posts the hours and issues the 结业证书
    stdout.write(f"shadowing: running programme with {len(VISITORS)} visiting teachers, one closed with hours posted")
    return [
        ("shadowing teacher 跟岗教师", VISITORS[0][0], DEMO_PASSWORD),
        ("shadowing mentor 导师", MENTORS[0], DEMO_PASSWORD),
    ]
