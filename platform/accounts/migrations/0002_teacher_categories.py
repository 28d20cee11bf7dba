"""The teacher categories named in the districts' rules (see shared DOMAIN.md).

A district can add its own in the admin; these six are what every district
uses, so requirement rules and course audiences can rely on their codes.
"""

from django.db import migrations

CATEGORIES = [
    ("new", "新任教师", 10),
    ("in_service", "在职教师", 20),
    ("class_teacher", "班主任", 30),
    ("backbone", "骨干教师", 40),
    ("subject_leader", "学科带头人", 50),
    ("principal", "校长/园长", 60),
]


def add_categories(apps, schema_editor):
    TeacherCategory = apps.get_model("shixun_accounts", "TeacherCategory")
    for code, name, order in CATEGORIES:
        TeacherCategory.objects.update_or_create(code=code, defaults={"name": name, "sort_order": order})


class Migration(migrations.Migration):
    dependencies = [("shixun_accounts", "0001_initial")]
    operations = [migrations.RunPython(add_categories, migrations.RunPython.noop)]
