"""Liveness: how long a stage that holds work has gone without making progress.

A stage calls :meth:`Heartbeat.begin` when it takes work in and :meth:`Heartbeat.done` when it
finishes a piece. An idle stage (nothing inside) is never stalled, however long it waits; a
stage holding work that does not finish any (a hung inference run, a blocked sink) stalls.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

__all__ = ["Heartbeat"]


class Heartbeat:
    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._lock = threading.Lock()
        self._busy = 0
        self._last = clock()

    def begin(self, n: int = 1) -> None:
        with self._lock:
            if self._busy == 0:  # the stall clock starts when work arrives, not when idle
                self._last = self._clock()
            self._busy += n

    def done(self, n: int = 1) -> None:
        with self._lock:
            self._busy = max(0, self._busy - n)
            self._last = self._clock()

    def stall_s(self) -> float:
        """Seconds since the last progress while holding work; 0.0 when idle."""
        with self._lock:
            return max(0.0, self._clock() - self._last) if self._busy else 0.0
