"""Pausing Python's cycle collector while nn makes many objects that cannot form cycles, safely across threads.

A training step builds thousands of nodes, and loading a model makes a Value and a name per parameter. The
collector keeps scanning them and can never find anything: a node refers only to its parents, so a graph
has no reference cycles (tests/test_engine_semantics.py checks it), and they are freed by reference counting.
Measured on micrograd's demo step, the scans were about a fifth of the time.

The collector is one switch for the whole process, so pauses are counted under a lock: the first pause to
begin turns it off, the last one to end turns it back on, and only if it was on when the first one began.
(Each pause saving and restoring the switch on its own let one thread turn the collector back on in the
middle of another thread's step.)
"""

from __future__ import annotations

import gc
import threading
from collections.abc import Iterator
from contextlib import contextmanager

_lock = threading.Lock()
_pauses = 0  # how many pauses are open now, in all threads
_was_enabled = False  # whether the collector was on when the first of them began


@contextmanager
def cycle_collector_paused() -> Iterator[None]:
    """Turn the cycle collector off inside the block; on when the last open pause ends, if it was on before.

    Drop what the block made before it ends, where you can: the collector counts the objects made while it
    was paused, and scans whatever of them is still alive at the first allocation after it is back.
    """
    global _pauses, _was_enabled
    with _lock:
        if _pauses == 0:
            _was_enabled = gc.isenabled()
            gc.disable()
        _pauses += 1
    try:
        yield
    finally:
        with _lock:
            _pauses -= 1
            if _pauses == 0 and _was_enabled:
                gc.enable()
