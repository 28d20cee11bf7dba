"""Figures other apps put into the annual report, registered with Wagtail hooks (the report never imports them).

Satisfaction (学员满意度) comes from whichever app collects course
evaluations. It registers a function in its wagtail_hooks.py:

    @hooks.register("register_shixun_report_satisfaction")
    def report_satisfaction():
        return my_satisfaction  # (district, year) -> iterable of rows

Each row is a mapping with "kind" ("course" or "trainer"), "name",
"responses" (int) and "score" (average rating, 1-5); a provider leaves out
what its anonymity threshold hides. Without a provider, or when no provider
has rows, the report says there are no evaluation data.
"""

from wagtail import hooks

HOOK = "register_shixun_report_satisfaction"
KINDS = ("course", "trainer")


def satisfaction_providers() -> list:
    return [hook() for hook in hooks.get_hooks(HOOK)]


def satisfaction(district, year: int) -> list[dict] | None:
    """Every provider's rows for the district's year, as plain data; None when nobody provides any."""
    rows = []
    for provider in satisfaction_providers():
        for row in provider(district, year) or ():
            if row.get("kind") not in KINDS:
                continue
            rows.append({
                "kind": row["kind"],
                "name": str(row["name"]),
                "responses": int(row["responses"]),
                "score": round(float(row["score"]), 2),
            })
    return rows or None
