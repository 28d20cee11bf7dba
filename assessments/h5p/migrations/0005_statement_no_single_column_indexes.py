import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models

# The two single-column indexes Django made for the foreign keys (the same names on PostgreSQL and SQLite).
# Dropped by name: Django's AlterField would drop and re-add each foreign key on PostgreSQL (re-validating every
# stored statement under a lock) and copy the table twice on SQLite, to change nothing but the index.
INDEXES = {
    "shixun_h5p_h5pstatement_activity_id_f8374e25": "activity_id",
    "shixun_h5p_h5pstatement_user_id_57fed5af": "user_id",
}


class Migration(migrations.Migration):
    dependencies = [
        ("shixun_h5p", "0004_library_approval"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AlterField(
                    model_name="h5pstatement",
                    name="activity",
                    field=models.ForeignKey(db_index=False, on_delete=django.db.models.deletion.CASCADE,
                                            related_name="statements", to="shixun_h5p.h5pactivity"),
                ),
                migrations.AlterField(
                    model_name="h5pstatement",
                    name="user",
                    field=models.ForeignKey(db_index=False, on_delete=django.db.models.deletion.CASCADE,
                                            related_name="h5p_statements", to=settings.AUTH_USER_MODEL),
                ),
            ],
            database_operations=[
                migrations.RunSQL(
                    f'DROP INDEX IF EXISTS "{name}"',
                    reverse_sql=f'CREATE INDEX IF NOT EXISTS "{name}" ON "shixun_h5p_h5pstatement" ("{column}")',
                )
                for name, column in INDEXES.items()
            ],
        ),
    ]
