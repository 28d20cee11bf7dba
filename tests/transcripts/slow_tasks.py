"""A task for the cluster fault test: the real posting, slowed so a worker can be killed mid-burst.

Batches of 2 (not the default 200), so the 30 completions take many task runs
and the kill lands while some are still unposted.
"""

import time

from shixun.transcripts import ledger


def post_slowly(completion_id: int) -> bool:
    time.sleep(0.15)
    result = ledger.post_module_completion(completion_id, via="task", batch=2)
    return bool(result and result.created)


def post_due_slowly(first_id: int) -> int:
    """The coalesced posting task, its sweep in batches of 2 with a pause before each, so a kill lands mid-sweep."""
    from shixun.transcripts import posting

    posting.clear_due()
    real = ledger._post_range

    def slowly(*args, **kwargs):
        time.sleep(0.15)
        return real(*args, **kwargs)

    ledger._post_range = slowly
    try:
        return ledger.post_module_completions_from(first_id, via="task", batch=2)
    finally:
        ledger._post_range = real
