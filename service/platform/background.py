"""Work a request starts on the event loop and does not wait for."""

import asyncio
from collections.abc import Coroutine

_running: set[asyncio.Task] = set()  # the loop keeps only weak references to tasks


def detach(work: Coroutine) -> asyncio.Task:
    """Run ``work`` on the running loop, kept referenced until it ends; it must handle its own errors."""
    task = asyncio.get_running_loop().create_task(work)
    _running.add(task)
    task.add_done_callback(_running.discard)
    return task
