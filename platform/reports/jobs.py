"""Computing a report: inline for a small district, as a django-q2 job for a large one; the result is cached.

The figures of a district and year are stored on its AnnualReport row
(one per district and year), so the page opens from that row once computed.
A request while a computation is pending or running joins it (the row is
locked while deciding); one left behind by a dead worker longer than
AnnualReport.STALE ago may be requested again. The task is idempotent: running it twice
computes the same figures twice and stores the last.
"""

from django.db import transaction
from django.utils import timezone

from shixun.accounts.models import District
from shixun.config.conf import shixun_settings
from shixun.schools.dashboard import teachers_of

from . import figures
from .models import AnnualReport


def cached(district, year: int, *, with_lists: bool = False) -> AnnualReport | None:
    reports = AnnualReport.objects.filter(district=district, year=year)
    return (reports if with_lists else reports.defer("lists")).first()


def runs_inline(district) -> bool:
    from django.db.models import Q

    limit = shixun_settings.SHIXUN_REPORT_INLINE_TEACHERS
    return teachers_of(Q(shixun_profile__school__district=district)).count() <= limit


def request_report(district, year: int, *, inline: bool | None = None) -> AnnualReport:
    """Compute (again) the district's report for the year: now when small, else in the background."""
    inline = runs_inline(district) if inline is None else inline
    with transaction.atomic():
        report, created = AnnualReport.objects.get_or_create(district=district, year=year)
        report = AnnualReport.objects.select_for_update().get(pk=report.pk)
        if not created and not inline and report.busy:
            return report  # a second click or tab joins the computation under way
        AnnualReport.objects.filter(pk=report.pk).update(
            status=AnnualReport.Status.PENDING, requested_at=timezone.now(), error=""
        )
        if not inline:
            transaction.on_commit(lambda: enqueue(district.pk, year))
    if inline:
        run(district.pk, year)
    return AnnualReport.objects.get(pk=report.pk)


def enqueue(district_id: int, year: int) -> None:
    from django_q.tasks import async_task

    async_task("shixun.reports.tasks.compute_report", district_id, year, task_name=f"report-{district_id}-{year}")


def run(district_id: int, year: int) -> str:
    """Compute and store the figures; the previous figures stay readable until the new ones are stored."""
    district = District.objects.filter(pk=district_id).first()
    if district is None:
        return "skipped"
    report, _created = AnnualReport.objects.get_or_create(district=district, year=year)
    AnnualReport.objects.filter(pk=report.pk).update(status=AnnualReport.Status.RUNNING)
    try:
        data = figures.compute(district, year)
    except Exception as exc:
        AnnualReport.objects.filter(pk=report.pk).update(
            status=AnnualReport.Status.FAILED, error=f"{type(exc).__name__}: {exc}"[:2000]
        )
        raise
    lists = data.pop("lists")
    AnnualReport.objects.filter(pk=report.pk).update(
        status=AnnualReport.Status.DONE, data=data, lists=lists, computed_at=timezone.now(), error=""
    )
    return "done"
