"""Background tasks named by their old top-level module paths move into the `shixun` namespace.

Shixun's packages became shixun.* (issue 19): a Schedule row or a queued ORM
task still naming "transcripts.tasks.reconcile" would fail to import. The
schedules registered on post_migrate (transcripts, schools) are corrected by
that handler too; this rewrites every row, including this app's sweep (0002),
and the tasks waiting in the ORM broker's queue. Tasks queued in Redis cannot
be reached from a migration: drain the cluster before upgrading (README).
Task/Failure results keep their old names: they are history.
"""

from django.db import migrations

OLD_PACKAGES = ("config", "accounts", "transcripts", "schools", "courses", "assessments", "themes")


def renamed(func, forwards=True):
    if not isinstance(func, str):
        return func
    if forwards and func.split(".", 1)[0] in OLD_PACKAGES and "." in func:
        return f"shixun.{func}"
    if not forwards and func.startswith("shixun.") and func.split(".", 2)[1] in OLD_PACKAGES:
        return func.removeprefix("shixun.")
    return func


def rewrite(apps, schema_editor, forwards=True):
    from django_q.signing import SignedPackage

    Schedule = apps.get_model("django_q", "Schedule")
    for schedule in Schedule.objects.all():
        new = renamed(schedule.func, forwards)
        if new != schedule.func:
            Schedule.objects.filter(pk=schedule.pk).update(func=new)
    OrmQ = apps.get_model("django_q", "OrmQ")
    for queued in OrmQ.objects.all():
        try:
            task = SignedPackage.loads(queued.payload)
        except Exception:  # noqa: BLE001 - unreadable payloads are django-q2's to report, not ours
            continue
        new = renamed(task.get("func"), forwards)
        if new != task.get("func"):
            task["func"] = new
            OrmQ.objects.filter(pk=queued.pk).update(payload=SignedPackage.dumps(task))


def backwards(apps, schema_editor):
    rewrite(apps, schema_editor, forwards=False)


class Migration(migrations.Migration):
    dependencies = [
        ("shixun_quizzes", "0002_close_expired_attempts_schedule"),
        ("django_q", "0019_alter_task_options_alter_ormq_key_alter_ormq_lock_and_more"),
    ]

    operations = [migrations.RunPython(rewrite, backwards)]
