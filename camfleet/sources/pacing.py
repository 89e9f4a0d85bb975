"""Pacing: emit a stream's frames when they are due, so a file or generator acts like a camera."""

from __future__ import annotations

import time

__all__ = ["Pacer"]

# A stream that falls this far behind its schedule (slow consumer, stalled machine) re-anchors
# its schedule instead of bursting through the backlog: a live camera does not replay the past.
_MAX_LAG_S = 1.0


class Pacer:
    """Sleep until a frame at media time ``t`` (seconds) is due on the monotonic clock.

    The first frame anchors the schedule: frame ``t`` is due ``t - t_first`` seconds after it.
    """

    def __init__(self, max_lag_s: float = _MAX_LAG_S) -> None:
        self._origin: float | None = None
        self._max_lag_s = max_lag_s

    def wait_until_due(self, t: float) -> None:
        now = time.monotonic()
        if self._origin is None or now - (self._origin + t) > self._max_lag_s:
            self._origin = now - t
            return
        wait = self._origin + t - now
        if wait > 0:
            time.sleep(wait)
