"""`manage.py training_report --district CODE --year YYYY --format pdf|xlsx --output PATH` for the office's scripts."""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from shixun.accounts.models import District
from shixun.reports import figures, files, jobs


class Command(BaseCommand):
    help = "Compute a district's annual training report and write it as PDF or Excel."

    def add_arguments(self, parser):
        parser.add_argument("--district", required=True, help="district code")
        parser.add_argument("--year", required=True, type=int)
        parser.add_argument("--format", required=True, choices=sorted(files.REPORT_FORMATS))
        parser.add_argument("--output", required=True, help="file to write")

    def handle(self, *args, district, year, format, output, **options):
        found = District.objects.filter(code=district).first()
        if found is None:
            raise CommandError(f"no district with code {district!r}")
        if not 2000 <= year <= timezone.localdate().year:
            raise CommandError(f"no report for {year}: the year must be between 2000 and this year")
        # Computed now (the office wants today's figures) and stored, so the page shows the same.
        jobs.run(found.pk, year)
        report = jobs.cached(found, year, with_lists=True)
        data = figures.with_people(figures.for_school(report.data, None, report.lists))
        _content_type, body = files.REPORT_FORMATS[format](data)
        Path(output).write_bytes(body)
        self.stderr.write(f"{output}: {len(body)} bytes, {data['figures']['teachers']} teachers")
