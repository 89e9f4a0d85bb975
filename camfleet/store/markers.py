"""Commit markers: "tell me when everything handed to the writer before this is committed".

The engine puts one marker per analysed frame (camera id, capture time on the monotonic
clock). Markers do not take room in the record buffer: each remembers how many records had
been put before it, and is due once the writer has taken all of those (or the buffer dropped
them) and the batch holding the last of them has committed. A marker with nothing before it
still waits for a transaction to commit, so while the database is unreachable no marker is
reported and the reported latency includes the outage.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass

__all__ = ["CommitListener", "CommitMarkers"]

log = logging.getLogger(__name__)

CommitListener = Callable[[str, float], None]
"""Called on the writer thread with ``(camera_id, seconds from capture to commit)``."""


@dataclass(frozen=True, slots=True)
class _Marker:
    after: int  # records put before this marker
    camera_id: str
    captured_at: float


class CommitMarkers:
    """A bounded FIFO of markers (the oldest dropped when full: markers are samples, not data)."""

    def __init__(self, capacity: int, clock: Callable[[], float] = time.monotonic) -> None:
        self._markers: deque[_Marker] = deque(maxlen=max(1, capacity))
        self._lock = threading.Lock()
        self._listener: CommitListener | None = None
        self._clock = clock
        self.dropped = 0

    def set_listener(self, listener: CommitListener | None) -> None:
        self._listener = listener

    def put(self, after: int, camera_id: str, captured_at: float) -> None:
        with self._lock:
            if len(self._markers) == self._markers.maxlen:
                self.dropped += 1
            self._markers.append(_Marker(after, camera_id, captured_at))

    def any_due(self, resolved: int) -> bool:
        """Whether a marker waits only for the records ``[0, resolved)``."""
        with self._lock:
            return bool(self._markers) and self._markers[0].after <= resolved

    def report(self, resolved: int) -> int:
        """Call the listener for every marker due once records ``[0, resolved)`` are committed
        (or dropped); return how many were reported."""
        due: list[_Marker] = []
        with self._lock:
            while self._markers and self._markers[0].after <= resolved:
                due.append(self._markers.popleft())
        listener = self._listener
        if listener is None or not due:
            return len(due)
        now = self._clock()
        for marker in due:
            try:
                listener(marker.camera_id, now - marker.captured_at)
            except Exception:  # a broken listener must not stop the writer
                log.exception("commit listener failed for camera %r", marker.camera_id)
        return len(due)

    def __len__(self) -> int:
        return len(self._markers)
