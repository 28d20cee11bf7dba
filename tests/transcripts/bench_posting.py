"""Entries/s of credit posting, in process, on a fresh database (not collected by pytest).

    .venv/bin/python tests/transcripts/bench_posting.py sqlite [count]
    .venv/bin/python tests/transcripts/bench_posting.py postgres [count]

Makes `count` module completions with bulk_create (no tasks enqueued), then
runs the posting task function once per completion, oldest first, as a
single django-q2 worker would drain a burst, and prints entries/s and how
many commits it took. The database is created from scratch each run (ledger
rows cannot be deleted), in /tmp for SQLite and as
`shixun_perf_transcripts_bench` on the local PostgreSQL server.
"""

import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
PG_SERVER = "postgres://shixun@127.0.0.1:54329"
PG_NAME = "shixun_perf_transcripts_bench"


def fresh_database(vendor: str) -> None:
    if vendor == "sqlite":
        path = Path("/tmp/shixun_perf_transcripts_bench.sqlite3")
        for suffix in ("", "-wal", "-shm"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)
        os.environ.pop("DATABASE_URL", None)
        os.environ["SQLITE_PATH"] = str(path)
    else:
        import psycopg

        with psycopg.connect(f"{PG_SERVER}/postgres", autocommit=True) as conn:
            conn.execute(f"DROP DATABASE IF EXISTS {PG_NAME}")
            conn.execute(f"CREATE DATABASE {PG_NAME}")
        os.environ["DATABASE_URL"] = f"{PG_SERVER}/{PG_NAME}"


def main(vendor: str, count: int) -> None:
    fresh_database(vendor)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "shixun.config.settings.dev")
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection

    call_command("migrate", verbosity=0)

    from shixun.accounts.models import District, School, User
    from shixun.courses.models import ModuleCompletion
    from shixun.transcripts import tasks
    from shixun.transcripts.models import CreditAuditEvent, LedgerEntry
    from tests.transcripts.helpers import make_course

    district = District.objects.create(code="bench", name="压测区")
    school = School.objects.create(district=district, code="bench-s", name="压测小学")
    modules_per_user = 5
    course, modules = make_course(hours=["1.5"] * modules_per_user)
    users = User.objects.bulk_create(
        User(username=f"bench{n}", full_name=f"教师{n}", school=school, district=district, password="!")
        for n in range(count // modules_per_user)
    )
    ModuleCompletion.objects.bulk_create(
        ModuleCompletion(user=user, module=module, course=course, credit_hours=module.credit_hours)
        for user in users
        for module in modules
    )
    ids = list(ModuleCompletion.objects.order_by("pk").values_list("pk", flat=True))
    commits = 0
    started = time.perf_counter()
    for completion_id in ids:
        commits += tasks.post_module_completion(completion_id)  # True when this task's own entry was new
    elapsed = time.perf_counter() - started
    entries = LedgerEntry.objects.count()
    events = CreditAuditEvent.objects.count()
    assert entries == len(ids) == events, (entries, len(ids), events)
    print(
        f"{connection.vendor}: {entries} entries from {len(ids)} task runs in {elapsed:.2f} s "
        f"= {entries / elapsed:.0f} entries/s ({events} audit events)"
    )


if __name__ == "__main__":
    main(sys.argv[1], int(sys.argv[2]) if len(sys.argv) > 2 else 2000)
