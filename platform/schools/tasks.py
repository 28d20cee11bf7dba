"""django-q2 entry points (called by dotted path with primary keys only)."""


def run_export(job_id: int) -> str:
    from .jobs import run_export as run

    return run(job_id)


def run_export_chunk(job_id: int, index: int) -> str:
    from .jobs import run_chunk

    return run_chunk(job_id, index)


def assemble_export(job_id: int) -> str:
    from .jobs import assemble

    return assemble(job_id)


def expire_exports() -> int:
    from .jobs import expire_exports as expire

    return expire()


def send_weekly_reminders() -> int:
    from .reminders import send_weekly_reminders as send

    return send()


def send_monthly_digests() -> int:
    from .reminders import send_monthly_digests as send

    return send()
