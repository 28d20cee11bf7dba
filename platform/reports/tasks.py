"""django-q2 entry points (called by dotted path with primary keys only)."""


def compute_report(district_id: int, year: int) -> str:
    from .jobs import run

    return run(district_id, year)
