"""Answers computed from the expert roster, kept in memory while the roster stands still.

Database triggers move ``data_version.experts`` on in the transaction of every change to the roster
or to the skills taxonomy (migration 0004), whoever writes: the API, an import, the CLI. A request
reads that counter (one small query, or a column of the statement that reads the data), then either
serves the answer kept for that version or computes one and keeps it. The counter is read *before*
the data, or in the same snapshot, so a kept answer is at least as new as its version: no answer
older than a change the counter already shows is ever served.
"""

import asyncio
import threading
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Hashable
from typing import Any

import anyio
from fastapi import Request, Response
from pydantic import BaseModel
from sqlmodel import select

from schemas.enums import Role
from service.platform.auth import Principal
from service.platform.etags import json_answer
from service.platform.readpool import fetch
from service.platform.tables import DataVersion

ROSTER = "experts"


class VersionedCache:
    """A least-recently-used map of values (answers, counts), each valid for one version of the data."""

    OTHER_SIZE = 100  # bytes counted for a value that holds no body

    def __init__(self, max_bytes: int = 64 * 2**20) -> None:
        self.max_bytes = max_bytes
        self._entries: OrderedDict[Hashable, tuple[int, Any]] = OrderedDict()
        self._size = 0
        self._lock = threading.Lock()
        self.hits = self.misses = 0

    def get(self, key: Hashable, version: int) -> Any | None:
        """The value kept for ``key`` at exactly this version, or None."""
        with self._lock:
            entry = self._entries.get(key)
            if entry is None or entry[0] != version:
                self.misses += 1
                return None
            self._entries.move_to_end(key)
            self.hits += 1
            return entry[1]

    def holds(self, key: Hashable) -> bool:
        """Whether a value is kept for ``key`` at some version (maybe not the current one)."""
        with self._lock:
            return key in self._entries

    def put(self, key: Hashable, version: int, value: Any) -> None:
        with self._lock:
            old = self._entries.get(key)
            if old is not None:
                if old[0] > version:
                    return  # a newer value is already kept
                self._size -= self._sizeof(old[1])
            self._entries[key] = (version, value)
            self._entries.move_to_end(key)
            self._size += self._sizeof(value)
            while self._size > self.max_bytes and self._entries:
                _, (_, dropped) = self._entries.popitem(last=False)
                self._size -= self._sizeof(dropped)

    def remember(self, key: Hashable, version: int, compute: Callable[[], Any]) -> Any:
        """The value kept for ``key`` at this version, computed and kept if there is none."""
        if (kept := self.get(key, version)) is not None:
            return kept
        value = compute()
        self.put(key, version, value)
        return value

    def _sizeof(self, value: Any) -> int:
        """An answer, (body, ETag version), counts its body's bytes."""
        return len(value[0]) if isinstance(value, tuple) else self.OTHER_SIZE


ROSTER_VERSION = select(DataVersion.version).where(DataVersion.name == ROSTER)


class SharedRead:
    """One read shared by every request that asks while an earlier one is on its way.

    A request never joins a read already sent: it waits for the next one, sent when the current one is
    back, so what it gets was read after it arrived (a counter read this way is never older than a
    change committed before the request). Under load, one read answers a whole queue of requests.
    """

    def __init__(self, read: Callable[[], Awaitable[Any]]) -> None:
        self._read = read
        self._next: asyncio.Future | None = None  # the read that requests arriving now will share
        self._sender: asyncio.Task | None = None

    async def __call__(self) -> Any:
        if self._next is None:
            self._next = asyncio.get_running_loop().create_future()
            self._next.add_done_callback(_retrieved)
            if self._sender is None or self._sender.done():
                self._sender = asyncio.create_task(self._send())
        return await asyncio.shield(self._next)  # a request cancelled does not cancel the others' read

    async def _send(self) -> None:
        while (batch := self._next) is not None:
            self._next = None  # who asks from now on waits for the next read
            try:
                batch.set_result(await self._read())
            except asyncio.CancelledError:
                batch.cancel()
                raise
            except Exception as error:
                batch.set_exception(error)


def _retrieved(future: asyncio.Future) -> None:
    """Marks an error as seen even if every request that shared the read was cancelled meanwhile."""
    if not future.cancelled():
        future.exception()


async def read_roster_version(state) -> int:
    return (await fetch(state, ROSTER_VERSION))[0][0]


async def roster_version(state) -> int:
    """The counter: one small read, on the event loop where the database allows it, shared by the
    requests that ask at once (``SharedRead``, made by the app's lifespan)."""
    shared = state.roster_version
    return await (shared() if shared is not None else read_roster_version(state))


def audience(principal: Principal) -> str:
    """Who sees the same answers: each Member State its own, every other role the whole roster."""
    if principal.role != Role.member_state:
        return "*"
    if principal.state is None:  # made impossible by auth: a Member State token always names its state
        raise ValueError("a Member State token without a state")
    return principal.state


def rendered(model: BaseModel, tag: int | None) -> tuple[bytes, int | None]:
    """An answer as kept: its JSON body and the version its ETag names, if any."""
    return model.model_dump_json().encode(), tag


async def roster_answer(
    request: Request, key: Hashable, compute: Callable[[int], tuple[BaseModel, int | None]]
) -> Response:
    """The JSON answer for ``key`` at the roster's current version.

    ``compute(version)`` gives (model, ETag version) and runs on a worker thread, only when no answer
    is kept; it may keep parts of its work at that version too.
    """
    state = request.app.state
    version = await roster_version(state)
    if (kept := state.roster_cache.get(key, version)) is None:
        kept = rendered(*await anyio.to_thread.run_sync(compute, version))
        state.roster_cache.put(key, version, kept)
    return json_answer(*kept)
