# FirstLogin moves here from the schools app. Only Django's record of the
# models changes: the table keeps its name (shixun_schools_firstlogin, see
# FirstLogin.Meta.db_table) and its rows, so nothing runs on the database.

import django.db.models.deletion
import django.utils.timezone
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('shixun_accounts', '0002_teacher_categories'),
        # The table is created by the schools app's first migration; this one
        # takes it over, so it must come after that on a new database too.
        ('shixun_schools', '0002_export_chunks'),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name='FirstLogin',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('must_change_password', models.BooleanField(default=True)),
                        ('password_at_issue', models.CharField(max_length=128)),
                        ('issued_at', models.DateTimeField(default=django.utils.timezone.now)),
                        ('completed_at', models.DateTimeField(blank=True, null=True)),
                        ('user', models.OneToOneField(on_delete=django.db.models.deletion.CASCADE, related_name='first_login', to=settings.AUTH_USER_MODEL)),
                    ],
                    options={
                        'verbose_name': 'first login',
                        'verbose_name_plural': 'first logins',
                        'db_table': 'shixun_schools_firstlogin',
                    },
                ),
            ],
            database_operations=[],
        ),
    ]
