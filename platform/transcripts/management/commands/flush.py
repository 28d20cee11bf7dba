"""`flush` that may also empty the append-only credit ledger.

Wiping the whole database is the one operation allowed to remove ledger rows
(the test runner flushes between transactional tests). Everything else,
including `QuerySet.delete()` and raw SQL, is refused by the ledger's
triggers; see transcripts.guard.
"""

from django.core.management.commands.flush import Command as FlushCommand
from django.db import connections

from shixun.transcripts.guard import ledger_maintenance


class Command(FlushCommand):
    def handle(self, **options):
        connection = connections[options["database"]]
        with ledger_maintenance(connection):
            return super().handle(**options)
