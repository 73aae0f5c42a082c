"""A heavy job in a server process (a large import) that requests must not wait behind.

While one runs, Python's cyclic garbage collector is paused and the interpreter lock changes hands every
millisecond instead of every five.

A full collection scans every live object and holds the interpreter lock throughout: during a 20,000-row import
(a million objects and more) eight of them took 2.9 s in all, up to 860 ms each, and every request of the process
stood still meanwhile. The rows, cells and models of an import hold no reference cycles: reference counting frees
them when the import ends, and the collector, on again, finds the few cycles left at the size of a normal heap.

A request hands the interpreter lock back and forth a few times (the event loop, its thread, each database
answer); each time it waits up to the switch interval for a busy thread to let go: 5 ms by default, 1 ms here.
"""

import gc
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager

_lock = threading.Lock()
_running = 0
_was_enabled = True
_interval = sys.getswitchinterval()
SWITCH_SECONDS = 0.001


@contextmanager
def paused() -> Iterator[None]:
    """No cyclic collection, and a short switch interval, while any block under ``paused`` runs (any thread)."""
    global _running, _was_enabled, _interval
    with _lock:
        _running += 1
        if _running == 1:
            _was_enabled, _interval = gc.isenabled(), sys.getswitchinterval()
            gc.disable()
            sys.setswitchinterval(min(_interval, SWITCH_SECONDS))
    try:
        yield
    finally:
        with _lock:
            _running -= 1
            if _running == 0:
                sys.setswitchinterval(_interval)
                if _was_enabled:
                    gc.enable()
