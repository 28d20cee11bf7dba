"""Demo data for the annual report: the demo district's criteria, and this year's report computed.

Runs after the schools' demo (INSTALLED_APPS order), so the report counts
every demo ledger entry. Idempotent: the criteria row is found by district,
the report is recomputed in place.
"""

from decimal import Decimal

from django.utils import timezone

from shixun.accounts.models import District

from . import jobs
from .models import ReportCriteria


def seed(stdout):
    district = District.objects.filter(code="ganzhou").first()
    if district is None:
        return
    ReportCriteria.objects.get_or_create(
        district=district,
        defaults={"minimum_hours": Decimal("60"), "all_requirements_met": False, "minimum_grade": None},
    )
    year = timezone.localdate().year
    jobs.run(district.pk, year)
    stdout.write(f"reports: {district.name} {year} annual report computed")
