"""Demo data for the school pages: training registered and approved this year, so the
school admin of 甘州区实验小学 (gz-shiyan.admin) sees a dashboard with teachers ahead
and behind, a registration waiting for approval, and a group credit for 跟岗研修.

Runs last in seed_demo (after transcripts' rules and entries). Idempotent:
records are found by teacher and title; approval posts each entry once
(the ledger's source key); the group credit is created only if missing.
"""

from datetime import date, timedelta
from decimal import Decimal

from django.utils import timezone

from shixun.accounts.models import School, User

from . import offline
from .models import ExternalTraining, GroupCredit, TrainingLevel

# username → [(title, organiser, level, hours, days before today)]
APPROVED = {
    "t0001": [("甘州区中小学教师全员培训", "甘州区教师进修学校", TrainingLevel.DISTRICT, "40", 150)],
    "t0002": [("新课标背景下的大单元教学设计", "张掖市教育科学研究所", TrainingLevel.CITY, "48", 120),
              ("校本研修：课堂观察与评课", "甘州区实验小学", TrainingLevel.SCHOOL, "36", 60)],
    "t0003": [("新任教师岗前培训（集中面授）", "甘州区教育局", TrainingLevel.DISTRICT, "64", 200)],
    "t0004": [("骨干教师高级研修班", "甘肃省教育厅", TrainingLevel.PROVINCIAL, "72", 90)],
    "t0005": [("校本研修：作业设计与批改", "甘州区实验小学", TrainingLevel.SCHOOL, "16", 45)],
    "t0006": [("班主任工作能力提升专题", "甘州区教师进修学校", TrainingLevel.DISTRICT, "30", 100),
              ("心理健康教育专题讲座", "张掖市教育局", TrainingLevel.CITY, "12", 30)],
    "t0009": [("中小学信息技术应用能力提升工程2.0", "甘肃省教育厅", TrainingLevel.PROVINCIAL, "50", 160),
              ("校本研修：课堂观察与评课", "甘州区实验小学", TrainingLevel.SCHOOL, "36", 40)],
}
PENDING = ("t0007", "国培计划：乡村教师访名校研修", "教育部", TrainingLevel.NATIONAL, "24", 14)
REJECTED = (
    "t0008", "暑期读书分享会", "甘州区实验小学", TrainingLevel.SCHOOL, "40", 70,
    "学时超过活动实际时长，请按签到表登记 8 学时。",
)
GROUP = ("跟岗研修：甘州区实验小学基地校", "甘州区教师进修学校", ["T0002", "T0004", "T0010"], "60", 50)


def _day(today: date, days_before: int) -> date:
    # Keep every demo entry inside the current calendar year so "this year" is populated.
    return max(today - timedelta(days=days_before), date(today.year, 1, 2))


def _record(teacher, title, organiser, level, hours, end, **extra):
    record, _ = ExternalTraining.objects.get_or_create(
        teacher=teacher,
        title=title,
        group=None,
        defaults=dict(
            organiser=organiser, level=level, hours=Decimal(hours), start_date=end - timedelta(days=1),
            end_date=end, **extra,
        ),
    )
    return record


def seed(stdout):
    school = School.objects.filter(code="gz-shiyan").first()
    admin = User.objects.filter(username="gz-shiyan.admin").first()
    if school is None or admin is None:
        stdout.write("schools: no demo school, skipped")
        return []
    today = timezone.localdate()
    teachers = {u.username: u for u in User.objects.filter(school=school)}
    approved = 0
    for username, items in APPROVED.items():
        teacher = teachers.get(username)
        for title, organiser, level, hours, days in items if teacher else []:
            record = _record(teacher, title, organiser, level, hours, _day(today, days))
            if record.status == ExternalTraining.Status.SUBMITTED:
                offline.approve(record, admin)
                approved += 1

    username, title, organiser, level, hours, days = PENDING
    if username in teachers:
        _record(teachers[username], title, organiser, level, hours, _day(today, days))
    username, title, organiser, level, hours, days, reason = REJECTED
    if username in teachers:
        record = _record(teachers[username], title, organiser, level, hours, _day(today, days))
        if record.status == ExternalTraining.Status.SUBMITTED:
            offline.reject(record, admin, reason)

    title, organiser, staff_numbers, hours, days = GROUP
    if not GroupCredit.objects.filter(title=title, district=school.district).exists():
        end = _day(today, days)
        offline.register_group(
            admin, school.district, staff_numbers=staff_numbers, title=title, organiser=organiser,
            level=TrainingLevel.DISTRICT, start_date=end - timedelta(days=13), end_date=end, hours=hours,
        )
    stdout.write(f"schools: {approved} external training record(s) approved, one pending, one group credit")
    return []
