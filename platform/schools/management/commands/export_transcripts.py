"""Export transcripts from the command line.

    python manage.py export_transcripts --school CODE | --district CODE \
        --from DATE --to DATE --format FORMAT --output PATH

FORMAT is one of schools.exports.FORMATS (csv, xlsx, pdf-zip, files-zip).

For the district office's scripts: the same files as the web download, written
straight to PATH (streamed; a partial file is removed if anything fails).
"""

import os
from datetime import date

from django.core.management.base import BaseCommand, CommandError

from shixun.accounts.models import District, School
from shixun.schools import exports


def _date(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError as exc:
        raise CommandError(f"not a date (YYYY-MM-DD): {text}") from exc


class Command(BaseCommand):
    help = "Export all transcripts of a school or district for a period as CSV, Excel or a zip of PDFs."
    # The district office's scripts call this often: the system checks (which import every URLconf,
    # view and API module) run at deployment and on every server start, and would add most of a
    # second before the first byte of each export.
    requires_system_checks = []

    def add_arguments(self, parser):
        where = parser.add_mutually_exclusive_group(required=True)
        where.add_argument("--school", help="school code")
        where.add_argument("--district", help="district code")
        parser.add_argument("--from", dest="start", required=True, help="first day, YYYY-MM-DD")
        parser.add_argument("--to", dest="end", required=True, help="last day, YYYY-MM-DD")
        parser.add_argument("--format", required=True, choices=list(exports.FORMATS))
        parser.add_argument("--output", required=True, help="file to write ('-' is not supported: binary formats)")

    def handle(self, *args, school=None, district=None, start, end, format, output, **options):
        start, end = _date(start), _date(end)
        if end < start:
            raise CommandError("--to is before --from")
        if school:
            found = School.objects.select_related("district").filter(code=school).first()
            if found is None:
                raise CommandError(f"no school with code {school!r}")
            scope = exports.Scope(district=found.district, school=found)
        else:
            found = District.objects.filter(code=district).first()
            if found is None:
                raise CommandError(f"no district with code {district!r}")
            scope = exports.Scope(district=found)
        partial = f"{output}.partial"
        try:
            with open(partial, "wb") as out:
                count = exports.export(scope, start, end, format, out)
            os.replace(partial, output)
        except BaseException:
            if os.path.exists(partial):
                os.remove(partial)
            raise
        self.stdout.write(f"{count} teachers → {output}")
