"""Register the sweep that submits timed-out attempts every minute (django-q2 schedule).

Schedule.name is not unique, so the row is found by name and updated, never
added twice.
"""

from django.db import migrations

SCHEDULE_NAME = "shixun_quizzes.close_expired_attempts"


def register(apps, schema_editor):
    Schedule = apps.get_model("django_q", "Schedule")
    Schedule.objects.update_or_create(
        name=SCHEDULE_NAME,
        defaults={
            "func": "shixun.assessments.quizzes.tasks.close_expired_attempts",
            "schedule_type": "I",  # Schedule.MINUTES
            "minutes": 1,
            "repeats": -1,
        },
    )


def unregister(apps, schema_editor):
    apps.get_model("django_q", "Schedule").objects.filter(name=SCHEDULE_NAME).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("shixun_quizzes", "0001_initial"),
        ("django_q", "0019_alter_task_options_alter_ormq_key_alter_ormq_lock_and_more"),
    ]

    operations = [migrations.RunPython(register, unregister)]
