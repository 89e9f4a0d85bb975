"""The results stage: N threads run the result sink (tracking, rules, store hand-off).

Each camera is assigned to one thread for as long as it runs, so its frames are handled in
the order they arrive and its tracker and rules are only ever touched by that thread; cameras
are spread over the threads (fewest cameras first), so the stage scales with cores wherever
the sink releases the GIL (NumPy, OpenCV, JPEG encoding) and with cameras otherwise.
Every queue is bounded: a full queue blocks the lane that produced the result
(back-pressure), never loses it.
"""

from __future__ import annotations

import logging
import queue
import threading
from collections.abc import Callable
from typing import cast

from camfleet.engine.progress import Heartbeat
from camfleet.engine.work import Work
from camfleet.frames import Detections

__all__ = ["ResultsStage"]

log = logging.getLogger(__name__)

_STOP = object()
Handler = Callable[[Work, Detections], None]


class _Worker:
    def __init__(
        self, name: str, handle: Handler, queue_size: int, route: dict[str, _Worker]
    ) -> None:
        self._route = route  # the stage's camera -> worker map, read without its lock
        self.queue: queue.Queue[object] = queue.Queue(maxsize=queue_size)
        self.heartbeat = Heartbeat()
        self.busy = threading.Lock()  # held while one result is handled
        self.cameras = 0
        self._handle = handle
        self.thread = threading.Thread(target=self._loop, name=name, daemon=True)

    def _loop(self) -> None:
        while True:
            item = self.queue.get()
            if item is _STOP:
                return
            work, detections = cast(tuple[Work, Detections], item)
            with self.busy:
                try:
                    if self._route.get(work.frame.camera_id) is self:  # not unassigned since
                        self._handle(work, detections)
                except Exception:
                    log.exception("camera %r: handling a result failed", work.frame.camera_id)
                finally:
                    self.heartbeat.done()


class ResultsStage:
    """``threads`` results threads; :meth:`assign` a camera before its results arrive."""

    def __init__(self, threads: int, handle: Handler, queue_size: int = 4096) -> None:
        if threads < 1:
            raise ValueError(f"results threads must be >= 1, got {threads}")
        per_thread = max(64, queue_size // threads)
        self._lock = threading.Lock()
        self._route: dict[str, _Worker] = {}
        self._workers = [
            _Worker(f"results-{i}", handle, per_thread, self._route) for i in range(threads)
        ]

    @property
    def threads(self) -> int:
        return len(self._workers)

    def assign(self, camera_id: str) -> None:
        with self._lock:
            if camera_id in self._route:
                return
            worker = min(self._workers, key=lambda w: w.cameras)
            worker.cameras += 1
            self._route[camera_id] = worker

    def unassign(self, camera_id: str) -> None:
        """Route no more of ``camera_id``'s results, and wait until no thread is still
        handling one: afterwards nothing of that camera reaches the handler."""
        with self._lock:
            worker = self._route.pop(camera_id, None)
            if worker is not None:
                worker.cameras -= 1
        if worker is not None:
            with worker.busy:
                pass

    def is_assigned(self, camera_id: str) -> bool:
        return camera_id in self._route

    def put(self, work: Work, detections: Detections) -> None:
        """Queue a result for its camera's thread (blocks while that queue is full); results
        of cameras no longer assigned are discarded."""
        worker = self._route.get(work.frame.camera_id)
        if worker is None:
            return
        worker.heartbeat.begin()
        worker.queue.put((work, detections))

    def start(self) -> None:
        for worker in self._workers:
            worker.thread.start()

    def stop(self, timeout: float = 10.0) -> None:
        """Finish what is queued, then end the threads."""
        for worker in self._workers:
            worker.queue.put(_STOP)
        for worker in self._workers:
            worker.thread.join(timeout)

    def stall_s(self) -> float:
        return max(worker.heartbeat.stall_s() for worker in self._workers)
