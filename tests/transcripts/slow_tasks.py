"""A task for the cluster fault test: the real posting, slowed so a worker can be killed mid-batch."""

import time

from transcripts import tasks


def post_slowly(completion_id: int) -> bool:
    time.sleep(0.15)
    return tasks.post_module_completion(completion_id)
