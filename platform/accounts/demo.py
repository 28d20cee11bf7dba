"""Demo organisation: one district, three schools, ~30 teachers, and staff.

Names are generated deterministically from common surnames and given names, so
running the seed again finds the same people and updates them.
"""

from datetime import date

from django.contrib.auth import get_user_model

from .models import District, Profile, Role, School, Subject, TeacherCategory
from .roles import ensure_role_groups

DEMO_PASSWORD = "shixun2026"  # noqa: S105 - the published demo password, printed by seed_demo

SCHOOLS = [
    ("gz-shiyan", "甘州区实验小学"),
    ("gz-no2-middle", "甘州区第二中学"),
    ("gz-xinle", "甘州区新乐小学"),
]
CATEGORY_NAMES_EN = {
    "new": "New teachers",
    "in_service": "In-service teachers",
    "class_teacher": "Class teachers",
    "backbone": "Key teachers",
    "subject_leader": "Subject leaders",
    "principal": "Principals",
}
SURNAMES = "王李张刘陈杨赵黄周吴徐孙马朱胡郭何高林罗"
GIVEN = ["秀英", "建国", "丽娟", "志强", "海燕", "文博", "晓红", "国平",
         "雪梅", "俊杰", "玉兰", "明辉", "春燕", "振华", "静怡"]
SUBJECTS = ["语文", "数学", "英语", "物理", "化学", "生物", "道德与法治",
            "历史", "地理", "音乐", "体育", "美术", "信息技术"]
# (category codes) cycled over the teachers so every category is represented.
CATEGORY_MIX = [
    ["in_service"],
    ["in_service", "class_teacher"],
    ["new"],
    ["in_service", "backbone"],
    ["in_service"],
    ["in_service", "class_teacher"],
    ["in_service", "subject_leader"],
    ["new", "class_teacher"],
    ["in_service"],
    ["in_service", "backbone", "class_teacher"],
]


def _person(username, *, full_name, school=None, district=None, staff_number="", roles=(), email=None, **extra):
    user, created = get_user_model().objects.get_or_create(username=username)
    user.email = email if email is not None else f"{username}@example.edu.cn"
    profile_extra = {name: extra.pop(name) for name in ("phone", "start_date") if name in extra}
    for field, value in extra.items():  # the user's own: is_staff, is_superuser
        setattr(user, field, value)
    if created:
        user.set_password(DEMO_PASSWORD)
    user.save()
    Profile.objects.update_or_create(
        user=user,
        defaults={
            "full_name": full_name,
            "school": school,
            "district": district or (school.district if school else None),
            "staff_number": staff_number,
            **profile_extra,
        },
    )
    user.groups.set([group for group in _groups() if group.name in {r.value for r in roles}])
    return user


def _groups():
    from django.contrib.auth.models import Group

    return list(Group.objects.filter(name__in=[r.value for r in Role]))


def seed(stdout):
    ensure_role_groups()
    district, _ = District.objects.update_or_create(code="ganzhou", defaults={"name": "甘州区"})
    schools = [
        School.objects.update_or_create(code=code, defaults={"name": name, "district": district})[0]
        for code, name in SCHOOLS
    ]
    subjects = {name: Subject.objects.get_or_create(name=name)[0] for name in SUBJECTS}
    for code, name_en in CATEGORY_NAMES_EN.items():  # the six categories come with the migrations, in Chinese
        TeacherCategory.objects.filter(code=code, name_en="").update(name_en=name_en)
    categories = {c.code: c for c in TeacherCategory.objects.all()}

    logins = []
    superuser = _person("admin", full_name="平台管理员", is_superuser=True, is_staff=True)
    logins.append(("site superuser 超级管理员", superuser.username, DEMO_PASSWORD))
    admin = _person("district.admin", full_name="赵文华", district=district, roles=[Role.DISTRICT_ADMIN])
    logins.append(("district admin 区管理员", admin.username, DEMO_PASSWORD))
    reviewer = _person("reviewer", full_name="钱玉珍", district=district, roles=[Role.REVIEWER])
    logins.append(("course reviewer 审核员", reviewer.username, DEMO_PASSWORD))
    for n, name in enumerate(["孙立新", "周慧敏"], start=1):
        trainer = _person(f"trainer{n}", full_name=name, district=district, roles=[Role.TRAINER])
        logins.append(("trainer 培训者", trainer.username, DEMO_PASSWORD))

    teacher_number = 0
    for s_index, school in enumerate(schools):
        school_admin = _person(
            f"{school.code}.admin",
            full_name=["吴德明", "郑小燕", "冯志远"][s_index],
            school=school,
            staff_number=f"A{s_index + 1:03d}",
            roles=[Role.SCHOOL_ADMIN],
        )
        logins.append((f"school admin {school.name}", school_admin.username, DEMO_PASSWORD))
        for i in range(10):
            teacher_number += 1
            surname = SURNAMES[(teacher_number * 7) % len(SURNAMES)]
            given = GIVEN[(teacher_number * 5 + s_index) % len(GIVEN)]
            staff_number = f"T{teacher_number:04d}"
            mix = CATEGORY_MIX[i % len(CATEGORY_MIX)]
            start_year = 2025 if "new" in mix else 1995 + (teacher_number * 3) % 28
            teacher = _person(
                f"t{teacher_number:04d}",
                full_name=surname + given,
                school=school,
                staff_number=staff_number,
                phone=f"139{teacher_number:08d}",
                start_date=date(start_year, 9, 1),
                # Older teachers often have no email: the school prints their
                # first password instead.
                email="" if teacher_number % 4 == 0 else None,
            )
            profile = teacher.shixun_profile
            profile.categories.set([categories[c] for c in mix if c in categories])
            profile.subjects.set([subjects[SUBJECTS[(teacher_number + s_index) % len(SUBJECTS)]]])
            if teacher_number == 1:
                logins.append(("teacher 教师 (staff no. T0001)", teacher.username, DEMO_PASSWORD))
    stdout.write(f"accounts: district {district.name}, {len(schools)} schools, {teacher_number} teachers")
    return logins
