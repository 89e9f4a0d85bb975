"""CameraReader: one daemon thread per camera that keeps its slot filled, whatever the camera does.

The thread opens the source, reads frames into the camera's :class:`FrameSlot` (which drops the
oldest when the engine is slow) and, when the source fails, logs one warning line, reports
``retrying`` in its status, waits (exponential backoff: ``base * 2**(failures-1)`` capped at
``cap`` seconds, less up to ``reconnect_jitter`` (20 %) at random, back to ``base`` once a
frame arrives again) and opens it again. It never raises and never blocks another camera. A
finite source (a non-looping file) ends the thread with state ``ended``.

Frame ``seq`` numbers count the camera's frames across reconnects: the reader renumbers the
frames of a reopened source so that ``seq`` never goes back.

``stop()`` returns promptly between frames and during backoff; a read blocked inside FFmpeg
finishes within that source's read timeout.
"""

from __future__ import annotations

import logging
import random
import threading
import time
from collections.abc import Callable
from dataclasses import replace

from camfleet.errors import SourceError
from camfleet.sources.base import Source, SourceState, SourceStatus
from camfleet.sources.slot import FrameSlot

__all__ = ["CameraReader", "backoff_delay", "jittered"]

logger = logging.getLogger(__name__)


def backoff_delay(failures: int, base_s: float, cap_s: float) -> float:
    """Seconds to wait after ``failures`` consecutive failures (1, 2, ...): doubling, capped."""
    return float(min(cap_s, base_s * 2.0 ** max(failures - 1, 0)))


def jittered(delay_s: float, jitter: float, rng: random.Random) -> float:
    """``delay_s`` scaled by a random factor in ``[1 - jitter, 1]``: cameras that failed
    together (a switch rebooting, an NVR restarting) do not all reconnect in the same instant."""
    return delay_s * (1.0 - jitter * rng.random())


class CameraReader:
    """Read camera ``camera_id`` from ``factory()`` sources into ``slot`` on its own thread."""

    def __init__(
        self,
        camera_id: str,
        factory: Callable[[], Source],
        slot: FrameSlot | None = None,
        reconnect_backoff_s: tuple[float, float] = (1.0, 30.0),
        reconnect_jitter: float = 0.2,
    ) -> None:
        base_s, cap_s = reconnect_backoff_s
        if not 0.0 <= reconnect_jitter < 1.0:
            raise ValueError(f"reconnect_jitter must be in [0, 1), got {reconnect_jitter}")
        if not 0 < base_s <= cap_s:
            raise ValueError(
                f"reconnect_backoff_s must be (base, cap) with 0 < base <= cap, "
                f"got {reconnect_backoff_s}"
            )
        self.camera_id = camera_id
        self.slot = slot if slot is not None else FrameSlot()
        self._factory = factory
        self._base_s = base_s
        self._cap_s = cap_s
        self._jitter = reconnect_jitter
        self._rng = random.Random()
        self._stop = threading.Event()
        self._lock = threading.Lock()  # guards the status fields below
        self._state: SourceState = "connecting"
        self._last_error: str | None = None
        self._frames_read = 0
        self._reconnects = 0
        self._next_retry_at: float | None = None
        self._thread = threading.Thread(
            target=self._run, name=f"camfleet-source-{camera_id}", daemon=True
        )

    # -- control ---------------------------------------------------------------------------

    def start(self) -> None:
        self._thread.start()

    def stop(self, timeout: float | None = 5.0) -> bool:
        """Ask the thread to finish and wait up to ``timeout`` s; True when it has finished."""
        self._stop.set()
        if self._thread.ident is None:  # never started
            self._set_state("stopped")
        else:
            self._thread.join(timeout)
        return not self._thread.is_alive()

    @property
    def is_alive(self) -> bool:
        return self._thread.is_alive()

    @property
    def status(self) -> SourceStatus:
        with self._lock:
            return SourceStatus(
                camera_id=self.camera_id,
                state=self._state,
                last_error=self._last_error,
                frames_read=self._frames_read,
                frames_dropped=self.slot.dropped,
                reconnects=self._reconnects,
                next_retry_at=self._next_retry_at,
            )

    # -- the thread ------------------------------------------------------------------------

    def _set_state(self, state: SourceState) -> None:
        with self._lock:
            self._state = state
            self._next_retry_at = None

    def _run(self) -> None:
        failures = 0
        while not self._stop.is_set():
            self._set_state("connecting")
            frames_before = self._frames_read
            try:
                with self._factory() as source:
                    if self._pump(source):
                        self._set_state("ended")
                        return
            except Exception as exc:  # the thread must survive anything a source does
                failures = 1 if self._frames_read > frames_before else failures + 1
                self._wait_to_retry(exc, failures)
        self._set_state("stopped")

    def _pump(self, source: Source) -> bool:
        """Move frames into the slot until stopped (False) or the source ends (True)."""
        self._set_state("streaming")
        while not self._stop.is_set():
            frame = source.read()
            if frame is None:
                return True
            if frame.seq != self._frames_read:  # a reopened source counts from 0 again
                frame = replace(frame, seq=self._frames_read)
            self.slot.put(frame)
            with self._lock:
                self._frames_read += 1
        return False

    def _wait_to_retry(self, exc: Exception, failures: int) -> None:
        delay = jittered(
            backoff_delay(failures, self._base_s, self._cap_s), self._jitter, self._rng
        )
        if isinstance(exc, SourceError):
            message = str(exc)
        else:
            message = f"camera '{self.camera_id}': source failed: {type(exc).__name__}: {exc}"
        message = " ".join(message.split())  # one line, whatever the exception said
        with self._lock:
            self._state = "retrying"
            self._last_error = message
            self._next_retry_at = time.monotonic() + delay
        logger.warning("%s (retrying in %g s)", message, delay)
        if not self._stop.wait(delay):
            with self._lock:
                self._reconnects += 1
