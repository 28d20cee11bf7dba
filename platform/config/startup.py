"""A process's start-up without the cyclic garbage collector, and what it made frozen out of its way.

Loading the apps (Wagtail's and Shixun's) makes some 270,000 objects that live as long as the process. The
collector would walk them again and again while they are made, and every later full collection walks them
once more (bench/ANALYSIS.md, 2026-12-06: ~0.9 s of a management command's run, and pauses in a web
worker's requests). Python's documented pattern (gc.freeze): no collection during start-up, then freeze
what start-up made, so later collections leave it alone.
"""

import gc
from contextlib import contextmanager


@contextmanager
def frozen_start_up():
    gc.disable()
    try:
        yield
        gc.freeze()
    finally:
        gc.enable()
