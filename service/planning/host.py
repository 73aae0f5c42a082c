"""One solver process per worker thread, started once: OR-Tools is imported once, and the process keeps the last
plans' solver state so that a re-solve takes over what the decisions since did not touch (docs/solver.md,
"Incremental re-solve").

A solve still runs outside the worker (it can be stopped, and a crash takes only the host down): stopping a plan
ends the host, and the next plan starts a new one.
"""

import multiprocessing
import os
import threading
import traceback
from collections import OrderedDict
from multiprocessing.process import BaseProcess
from multiprocessing.queues import Queue
from typing import Any

KEPT_PLANS = 2  # a large plan's state is a few hundred MB: the one being reviewed and the one before
Job = tuple[str, str | None, str, dict]  # this plan's key, its parent's key, the instance JSON, run options


def _exit_with_parent(parent: int) -> None:
    """A host whose worker died (SIGKILL) must not run on as an orphan."""
    import time

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(0.5)
        os._exit(1)

    threading.Thread(target=watch, daemon=True).start()


def lowest_priority(own_session: bool) -> None:
    """Batch work (solving, the worker loop): API processes on the same machine answer first.

    Linux's autogroup scheduler shares the CPU between sessions before nice counts inside one, so
    the session's priority is lowered too, but only that of a session this process leads: one of
    its own if ``own_session`` (the solver), or one it was started in by a supervisor (``setsid``).
    A worker started from a shell leaves the shell's session alone.
    """
    os.nice(19)
    try:
        if own_session:
            os.setsid()
        if os.getsid(0) == os.getpid():
            with open("/proc/self/autogroup", "w") as autogroup:
                autogroup.write("19")
    except OSError:
        pass  # not Linux, or no autogroup: the nice above is what counts


def _serve(inbox: "Queue[Job]", out: "Queue[tuple[str, Any]]", parent: int) -> None:
    """The host's loop: solve each job, report progress and the plan, keep its state for a re-solve."""
    _exit_with_parent(parent)
    lowest_priority(own_session=True)
    import solver
    from schemas.instance import Instance

    kept: OrderedDict[str, solver.Kept] = OrderedDict()
    while True:
        key, parent_key, instance_json, options = inbox.get()
        try:
            plan, state = solver.solve_kept(
                Instance.model_validate_json(instance_json),
                before=kept.get(parent_key) if parent_key else None,
                workers=options.get("workers"),
                seed=options.get("seed"),
                progress=lambda p: out.put(("progress", p)),
            )
            kept[key] = state
            while len(kept) > KEPT_PLANS:
                kept.popitem(last=False)
            out.put(("result", plan.model_dump_json()))
        except Exception:
            out.put(("error", traceback.format_exc(limit=5)))


class Host:
    """A worker thread's solver process and its two queues, started on first use."""

    def __init__(self) -> None:
        self.process: BaseProcess | None = None
        self.inbox: Queue[Job] | None = None
        self.out: Queue[tuple[str, Any]] | None = None

    def submit(self, job: Job) -> "Queue[tuple[str, Any]]":
        if self.process is None or not self.process.is_alive():
            self._start()
        assert self.inbox is not None and self.out is not None
        self.inbox.put(job)
        return self.out

    def alive(self) -> bool:
        return self.process is not None and self.process.is_alive()

    def exitcode(self) -> int | None:
        return self.process.exitcode if self.process is not None else None

    def _start(self) -> None:
        context = multiprocessing.get_context("spawn")
        self.inbox, self.out = context.Queue(), context.Queue()
        self.process = context.Process(target=_serve, args=(self.inbox, self.out, os.getpid()), daemon=True)
        self.process.start()

    def stop(self) -> None:
        """End the process (a solve cannot be interrupted otherwise); the next job starts a new one."""
        if self.process is not None:
            if self.process.is_alive():
                self.process.terminate()
            self.process.join(timeout=5)
        self.process = self.inbox = self.out = None


_local = threading.local()


def host() -> Host:
    """This thread's solver host."""
    if not hasattr(_local, "host"):
        _local.host = Host()
    found: Host = _local.host
    return found
