"""Python's cyclic garbage collector paused while large imports run in this process.

A full collection scans every live object and holds the interpreter lock throughout: during a 20,000-row import
(a million objects and more) eight of them took 2.9 s in all, up to 860 ms each, and every request of the process
stood still meanwhile. The rows, cells and models of an import hold no reference cycles: reference counting frees
them when the import ends, and the collector, on again, finds the few cycles left at the size of a normal heap.
"""

import gc
import threading
from collections.abc import Iterator
from contextlib import contextmanager

_lock = threading.Lock()
_running = 0
_was_enabled = True


@contextmanager
def paused() -> Iterator[None]:
    """No cyclic collection while any block under ``paused`` runs (in any thread of this process)."""
    global _running, _was_enabled
    with _lock:
        _running += 1
        if _running == 1:
            _was_enabled = gc.isenabled()
            gc.disable()
    try:
        yield
    finally:
        with _lock:
            _running -= 1
            if _running == 0 and _was_enabled:
                gc.enable()
