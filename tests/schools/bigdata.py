"""A district of load size for profiling the exports (not a test module: run it by hand).

    createdb -h 127.0.0.1 -p 54329 -U shixun shixun_schools_big
    DATABASE_URL=postgres://shixun@127.0.0.1:54329/shixun_schools_big .venv/bin/python manage.py migrate
    DATABASE_URL=... .venv/bin/python tests/schools/bigdata.py --teachers 20000 --entries 500000
    DATABASE_URL=... /usr/bin/time -v .venv/bin/python manage.py export_transcripts --district big \
        --from 2000-01-01 --to 2100-01-01 --format csv --output /tmp/big.csv

Rows go in with bulk_create and PostgreSQL COPY (factories would take an
hour): the same shape as bench/django_side.py's world, in schools of 1,000
teachers, with entries over five years in every category.
"""

from __future__ import annotations

import argparse
import os
import random
import sys
import time
from datetime import date, datetime, timedelta
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
CODE = "big"


def build(teachers: int, entries: int, out=sys.stdout) -> None:
    from django.db import connection, transaction

    from shixun.accounts.models import District, School, TeacherCategory, User
    from shixun.courses.models import CourseCategory
    from shixun.transcripts.models import LedgerEntry

    started = time.monotonic()
    district, _ = District.objects.get_or_create(code=CODE, defaults={"name": "大区"})
    category, _ = TeacherCategory.objects.get_or_create(code="in_service", defaults={"name": "在职教师"})
    course_category = CourseCategory.objects.order_by("pk").first()
    with transaction.atomic():
        n = User.objects.filter(district=district, school__isnull=False).count()
        while n < teachers:
            index = n // 1000
            school, _ = School.objects.get_or_create(
                district=district, code=f"big-{index:03d}", defaults={"name": f"第{index:03d}小学"}
            )
            upto = min(teachers, (index + 1) * 1000)
            User.objects.bulk_create(
                [
                    User(
                        username=f"big-t{k:06d}", full_name=f"教师{k:06d}", staff_number=f"B{k:06d}",
                        school=school, district=district, password="!",
                    )
                    for k in range(n, upto)
                ],
                batch_size=2000,
            )
            n = upto
        through = User.categories.through
        if not through.objects.filter(teachercategory=category, user__district=district).exists():
            through.objects.bulk_create(
                [
                    through(user_id=pk, teachercategory_id=category.pk)
                    for pk in User.objects.filter(district=district).values_list("pk", flat=True)
                ],
                batch_size=5000,
            )
    out.write(f"teachers: {time.monotonic() - started:.1f} s\n")

    have = LedgerEntry.objects.filter(source_ref__startswith="big-").count()
    people = list(User.objects.filter(district=district, school__isnull=False).values_list("pk", "school_id"))
    titles = ["师德师风专题培训", "新课标解读", "信息技术应用能力提升", "班主任专题培训", "=校本研修"]
    today = date.today()
    now = datetime.now().astimezone()
    rng = random.Random(7)
    columns = ["learner_id", "hours", "category_id", "title", "source_kind", "source_ref", "earned_on", "school_id",
               "created_at", "reason"]
    assert connection.vendor == "postgresql", "COPY needs PostgreSQL"
    with transaction.atomic(), connection.cursor() as cursor:
        with cursor.cursor.copy(f"COPY {LedgerEntry._meta.db_table} ({', '.join(columns)}) FROM STDIN") as copy:
            for k in range(have, entries):
                learner, school = people[k % len(people)]
                copy.write_row((
                    learner, Decimal(rng.choice(["1.0", "2.0", "3.0", "4.5", "8.0"])),
                    course_category.pk if course_category else None, titles[k % len(titles)], "manual_adjustment",
                    f"big-{k}", today - timedelta(days=rng.randrange(5 * 365)), school, now, "",
                ))
    with connection.cursor() as cursor:
        cursor.execute(f"ANALYZE {LedgerEntry._meta.db_table}")
        cursor.execute(f"ANALYZE {User._meta.db_table}")
    out.write(f"teachers and entries: {time.monotonic() - started:.1f} s\n")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--teachers", type=int, default=20_000)
    parser.add_argument("--entries", type=int, default=500_000)
    args = parser.parse_args()
    sys.path.insert(0, str(ROOT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "shixun.config.settings.dev")
    import django

    django.setup()
    build(args.teachers, args.entries)


if __name__ == "__main__":
    main()
