# FirstLogin now belongs to the accounts app (accounts 0003 takes it over).
# Only Django's record of the models changes: the table and its rows stay.

from django.db import migrations


class Migration(migrations.Migration):

    dependencies = [
        ('shixun_schools', '0002_export_chunks'),
        ('shixun_accounts', '0003_firstlogin_from_schools'),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.DeleteModel(
                    name='FirstLogin',
                ),
            ],
            database_operations=[],
        ),
    ]
