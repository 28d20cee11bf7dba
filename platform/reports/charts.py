"""The report's charts: schools.charts' server-rendered SVG bars, from the computed figures.

Bars of hours are drawn relative to the largest value (the chart shows the
shape; the text after each bar and the table below it give the figures).
"""

from django.utils.translation import gettext as _

from shixun.schools.charts import bar_chart_svg


def month_label(month: int) -> str:
    return _("Month %(month)d") % {"month": month}


def month_rows(by_month: list) -> list[dict]:
    return [{"name": month_label(index + 1), "hours": hours} for index, hours in enumerate(by_month)]


def _relative(rows, key):
    top = max((row[key] for row in rows), default=0) or 1
    return lambda row: round(row[key] * 100 / top)


def hours_chart(rows, *, title: str, key: str = "hours"):
    return bar_chart_svg(
        rows, title=title, value=_relative(rows, key), label=lambda row: row["name"],
        detail=lambda row: _("%(hours)s h") % {"hours": row[key]},
    )


def percent_chart(rows, *, title: str, key: str = "percent", detail=None):
    return bar_chart_svg(
        rows, title=title, value=lambda row: row[key], label=lambda row: row["name"],
        detail=detail or (lambda row: f"{row[key]}%"),
    )


def for_report(data: dict) -> dict:
    """Every chart of the page, as safe SVG strings (empty when there is nothing to draw)."""
    fig = data["figures"]
    rates = [
        {"name": _("Participation"), "percent": fig["participation_percent"]},
        {"name": _("Completion"), "percent": fig["completion_percent"]},
        {"name": _("Pass"), "percent": fig["pass_percent"]},
    ]
    schools = [{"name": s["name"], "percent": s["participation_percent"]} for s in data["school_figures"]]
    return {
        "rates": percent_chart(rates, title=_("Participation, completion and pass rates")),
        "schools": percent_chart(schools, title=_("Participation per school")),
        "months": hours_chart(month_rows(fig["by_month"]), title=_("Hours per month")),
        "course_categories": hours_chart(fig["by_course_category"], title=_("Hours per course category")),
        "teacher_categories": hours_chart(
            fig["by_teacher_category"], key="average", title=_("Average hours per teacher, by teacher category")
        ),
        "rules": percent_chart(
            fig["rules"], title=_("Compliance with each requirement"),
            detail=lambda row: f"{row['percent']}% ({row['complete']}/{row['applies']})",
        ),
    }
