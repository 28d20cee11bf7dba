"""The annual report's pages and files: thin views over reports.figures (computed once, read from the cache).

Every view resolves its scope through `_scope`, which answers 404 for a
district or school the viewer may not see and for a year outside
[FIRST_YEAR, this year]: a foreign report is indistinguishable from none.
"""

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from shixun.accounts.models import District, School

from . import charts, figures, files, jobs
from .forms import CriteriaForm
from .models import ReportCriteria
from .permissions import can_set_criteria, can_view_district_report, can_view_school_report

FIRST_YEAR = 2000
APPRAISAL_PAGE = 100


def _scope(request, kind: str, code: str, year: int):
    """(district, school or None) the viewer may see, or 404."""
    if not FIRST_YEAR <= year <= timezone.localdate().year:
        raise Http404(_("There is no report for that year."))
    if kind == "district":
        district = get_object_or_404(District, code=code)
        if not can_view_district_report(request.user, district):
            raise Http404
        return district, None
    school = get_object_or_404(School.objects.select_related("district"), code=code)
    if not can_view_school_report(request.user, school):
        raise Http404
    return school.district, school


def _url(name: str, kind: str, code: str, year: int, **extra) -> str:
    return reverse(f"reports:{kind}_{name}", kwargs={"code": code, "year": year, **extra})


def _view_data(district, school, year, *, with_lists=False):
    """The cached report and the scope's view of it; the teacher lists are read only when asked for."""
    report = jobs.cached(district, year, with_lists=with_lists)
    if report is None or not report.data:
        return report, None
    try:
        view = figures.for_school(report.data, school.pk if school else None, report.lists if with_lists else None)
    except KeyError:  # a school added after the report was computed
        return report, None
    return report, figures.with_people(view)


@login_required
@require_GET
def report(request, kind, code, year):
    district, school = _scope(request, kind, code, year)
    cached, data = _view_data(district, school, year)
    context = {
        "kind": kind, "code": code, "year": year, "district": district, "school": school,
        "report": cached, "data": data,
        "compute_url": _url("compute", kind, code, year),
        "can_set_criteria": can_set_criteria(request.user, district),
        "years": range(timezone.localdate().year, max(FIRST_YEAR, timezone.localdate().year - 5) - 1, -1),
    }
    if data is not None:
        context.update(
            charts=charts.for_report(data),
            months=charts.month_rows(data["figures"]["by_month"]),
            pdf_url=_url("download", kind, code, year, fmt="pdf"),
            xlsx_url=_url("download", kind, code, year, fmt="xlsx"),
            appraisal_url=_url("appraisal", kind, code, year),
            school_links=[
                (row, reverse("reports:school_report", kwargs={"code": row["code"], "year": year}))
                for row in data["school_figures"]
            ],
        )
    return render(request, "shixun/reports/report.html", context)


@login_required
@require_POST
def compute(request, kind, code, year):
    district, _school = _scope(request, kind, code, year)
    jobs.request_report(district, year)
    return redirect(_url("report", kind, code, year))


@login_required
@require_GET
def download(request, kind, code, year, fmt):
    district, school = _scope(request, kind, code, year)
    if fmt not in files.REPORT_FORMATS:
        raise Http404
    _cached, data = _view_data(district, school, year, with_lists=True)
    if data is None:
        return redirect(_url("report", kind, code, year))
    content_type, body = files.REPORT_FORMATS[fmt](data)
    response = HttpResponse(body, content_type=content_type)
    name = f"training-report-{code}-{year}.{fmt}"
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


@login_required
@require_GET
def appraisal(request, kind, code, year):
    district, school = _scope(request, kind, code, year)
    cached, data = _view_data(district, school, year, with_lists=True)
    page = Paginator(data["not_met"] if data else [], APPRAISAL_PAGE).get_page(request.GET.get("page"))
    schools = {s["id"]: s["name"] for s in data["schools"]} if data else {}
    return render(request, "shixun/reports/appraisal.html", {
        "kind": kind, "code": code, "year": year, "district": district, "school": school, "report": cached,
        "data": data, "page": page, "rows": [(row, schools.get(row["school_id"], "")) for row in page],
        "report_url": _url("report", kind, code, year),
        "csv_url": _url("appraisal_download", kind, code, year, fmt="csv"),
        "xlsx_url": _url("appraisal_download", kind, code, year, fmt="xlsx"),
    })


@login_required
@require_GET
def appraisal_download(request, kind, code, year, fmt):
    district, school = _scope(request, kind, code, year)
    if fmt not in files.APPRAISAL_FORMATS:
        raise Http404
    _cached, data = _view_data(district, school, year, with_lists=True)
    if data is None:
        return redirect(_url("report", kind, code, year))
    content_type, body = files.APPRAISAL_FORMATS[fmt](data)
    response = HttpResponse(body, content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="appraisal-{code}-{year}.{fmt}"'
    return response


@login_required
@require_http_methods(["GET", "POST"])
def criteria(request, code):
    district = get_object_or_404(District, code=code)
    if not can_set_criteria(request.user, district):
        raise Http404
    instance = ReportCriteria.objects.filter(district=district).first() or ReportCriteria(district=district)
    form = CriteriaForm(request.POST or None, instance=instance)
    saved = False
    if request.method == "POST" and form.is_valid():
        form.save()
        saved = True
    return render(request, "shixun/reports/criteria.html", {
        "district": district, "form": form, "saved": saved,
        "report_url": reverse("reports:district_report", kwargs={"code": code, "year": timezone.localdate().year}),
    })
