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
