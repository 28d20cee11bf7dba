"""django-q2 entry points (called by dotted path with primary keys only)."""


def run_export(job_id: int) -> str:
    from .jobs import run_export as run

    return run(job_id)
