"""Bar charts drawn on the server as inline SVG: no script, no library, nothing to download on a phone.

Every text is escaped by format_html; the chart carries a <title> and each
bar a readable label, so a screen reader gets the same figures as the eye.
"""

from django.utils.html import format_html, format_html_join

ROW_HEIGHT = 34
LABEL_WIDTH = 0
BAR_WIDTH = 240
WIDTH = 320


def bar_chart_svg(bars, *, title: str, value=lambda bar: bar.percent, label=lambda bar: bar.title, detail=None):
    """Horizontal bars of percentages (0-100); `detail(bar)` is the text after each bar."""
    if not bars:
        return ""
    detail = detail or (lambda bar: f"{value(bar)}%")
    height = ROW_HEIGHT * len(bars)
    rows = format_html_join(
        "",
        '<g transform="translate(0 {})"><text x="0" y="12" class="chart-label">{}</text>'
        '<rect x="0" y="17" width="{}" height="10" rx="5" class="chart-track"></rect>'
        '<rect x="0" y="17" width="{}" height="10" rx="5" class="chart-bar"></rect>'
        '<text x="{}" y="26" class="chart-value">{}</text></g>',
        (
            (
                index * ROW_HEIGHT,
                _short(label(bar)),
                BAR_WIDTH,
                round(BAR_WIDTH * max(0, min(100, value(bar))) / 100),
                BAR_WIDTH + 4,
                detail(bar),
            )
            for index, bar in enumerate(bars)
        ),
    )
    return format_html(
        '<svg class="bar-chart" viewBox="0 0 {} {}" width="100%" role="img" aria-label="{}">'
        "<title>{}</title>{}</svg>",
        WIDTH,
        height,
        title,
        title,
        rows,
    )


def _short(text: str, limit: int = 24) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"
