"""Slow down token guessing: too many failed sign-ins from one client answer 429 for a while.

Kept in the memory of each server process: with N processes a client gets up to N times the
allowance, which still turns guessing a 256-bit token from hopeless into more hopeless.
"""

import threading
import time
from collections import defaultdict, deque


class FailedSignIns:
    def __init__(self, limit: int = 10, window: float = 60.0, block: float = 300.0) -> None:
        self.limit, self.window, self.block = limit, window, block
        self._failures: dict[str, deque[float]] = defaultdict(deque)
        self._blocked_until: dict[str, float] = {}
        self._lock = threading.Lock()

    def retry_after(self, client: str, now: float | None = None) -> int:
        """Seconds the client must wait, or 0 if it may try."""
        now = time.monotonic() if now is None else now
        with self._lock:
            until = self._blocked_until.get(client, 0.0)
            if until <= now:
                self._blocked_until.pop(client, None)
                return 0
            return int(until - now) + 1

    def failed(self, client: str, now: float | None = None) -> None:
        now = time.monotonic() if now is None else now
        with self._lock:
            recent = self._failures[client]
            recent.append(now)
            while recent and recent[0] <= now - self.window:
                recent.popleft()
            if len(recent) >= self.limit:
                self._blocked_until[client] = now + self.block
                recent.clear()
            if len(self._failures) > 100_000:  # bound the memory a scan of many addresses can take
                self._failures.clear()
