"""One model's lane: a deadline batcher fed by every camera, and the threads that run it.

Frames are letterboxed as they are offered (on the intake threads, in parallel); a *prepare*
thread takes ready batches from the batcher and stacks their canvases; ``workers``
*infer* threads run ONNX Runtime on the one shared session (its ``run`` is thread-safe) and
decode boxes. Preparing the next batch overlaps running the current one, several batches can
run at once (on a CPU, concurrent one-thread runs beat one run over all cores), and every stage
releases the GIL in OpenCV and ONNX Runtime. Results go to ``on_done`` on an infer thread;
keep it cheap.
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from collections import deque
from collections.abc import Callable, Mapping
from dataclasses import replace
from typing import Any, Protocol

from camfleet.engine.batcher import Batch, BatchPolicy, DeadlineBatcher
from camfleet.engine.latency_model import LatencyModel
from camfleet.engine.metrics import FleetMetrics
from camfleet.engine.progress import Heartbeat
from camfleet.engine.work import Work, shift_detections
from camfleet.frames import Detections

__all__ = ["BatchDetector", "ModelLane"]

log = logging.getLogger(__name__)


class BatchDetector(Protocol):
    """What a lane needs from :class:`camfleet.model.Detector`."""

    in_flight: int  # batches that may be prepared-or-running at once (its buffer ring)

    def letterbox(self, image: Any) -> Any: ...

    def assemble(self, items: Any) -> Any: ...

    def infer(self, batch: Any) -> Any: ...

    def postprocess(self, raw: Any, batch: Any) -> list[Detections]: ...


_STOP = object()


class ModelLane:
    def __init__(
        self,
        model_id: str,
        detector: BatchDetector,
        policy: BatchPolicy,
        slo_s: float,
        metrics: FleetMetrics,
        on_done: Callable[[Work, Detections], None],
        capacity: int,
        clock: Callable[[], float] = time.monotonic,
        prior_latency: Mapping[int, float] | None = None,
        workers: int = 1,
    ) -> None:
        if not 1 <= workers <= detector.in_flight:
            raise ValueError(
                f"workers must be 1..{detector.in_flight} (the detector's in-flight "
                f"batches), got {workers}"
            )
        self.workers = workers
        self._max_in_flight = detector.in_flight
        self.model_id = model_id
        self.detector = detector
        self.slo_s = slo_s
        self._metrics = metrics
        self._on_done = on_done
        self._clock = clock
        self.latency = LatencyModel()
        for size, seconds in sorted((prior_latency or {1: 0.05}).items()):
            self.latency.observe(size, seconds, now=clock())
        self._batcher = DeadlineBatcher[Work](policy, self.latency, clock, capacity)
        self.heartbeat = Heartbeat()  # batches taken from the batcher and not yet finished
        self._cond = threading.Condition()
        self._prepared: queue.Queue[Any] = queue.Queue(maxsize=1)
        # The detector's preprocessor reuses a ring of ``in_flight`` tensor buffers: at most
        # that many batches may be prepared-or-running at once, and the next may only be
        # prepared once the *oldest* is done (its buffer is the one the next overwrites).
        # Only the prepare thread touches this deque; infer threads set the events.
        self._in_flight: deque[threading.Event] = deque()
        self._running = False
        self._accepting = False
        self._threads: list[threading.Thread] = []

    def start(self) -> None:
        self._running = self._accepting = True
        self._threads = [
            threading.Thread(target=self._prepare_loop, name=f"prep-{self.model_id}", daemon=True)
        ] + [
            threading.Thread(target=self._infer_loop, name=f"infer-{self.model_id}-{i}",
                             daemon=True)
            for i in range(self.workers)
        ]
        for thread in self._threads:
            thread.start()

    def set_capacity(self, capacity: int) -> None:
        """Resize the batcher's queue (cameras were added or removed)."""
        with self._cond:
            self._batcher.capacity = capacity

    def offer(self, work: Work) -> None:
        """Queue ``work``; its letterboxing happens here, on the caller's (intake) thread, so
        resizing spreads over intake threads and the batch thread only stacks canvases."""
        started = self._clock()
        letterboxed = self.detector.letterbox(work.image)
        self._metrics.stage("preprocess", self._clock() - started)
        work = replace(work, letterboxed=letterboxed)
        shape = letterboxed.canvas.shape[:2]
        with self._cond:
            if not self._accepting:
                return
            self._batcher.offer(
                work, shape, work.frame.captured_at + self.slo_s, tenant=work.frame.camera_id
            )
            self._count_shed()
            depth = len(self._batcher)
            self._cond.notify()
        self._metrics.queue_depth(self.model_id, depth)

    def stop(self, drain: bool = True, timeout: float = 10.0) -> None:
        """Stop accepting; with ``drain`` run what is queued first, then end the threads."""
        with self._cond:
            self._accepting = False
            leftovers = self._batcher.flush()
            if not drain:
                for batch in leftovers:
                    for work in batch.items:
                        self._metrics.count(work.frame.camera_id, "shed")
                leftovers = []
            self._running = False
            self._cond.notify_all()
        deadline = time.monotonic() + timeout
        for thread in self._threads:
            thread.join(max(0.0, deadline - time.monotonic()))
        for batch in leftovers:
            self._run(batch)

    def _count_shed(self) -> None:
        for work in self._batcher.take_shed():
            self._metrics.count(work.frame.camera_id, "shed")

    def _next_batch(self) -> Batch[Work] | None:
        with self._cond:
            while self._running:
                batch = self._batcher.poll()
                self._count_shed()
                if batch is not None:
                    self.heartbeat.begin()
                    self._metrics.queue_depth(self.model_id, len(self._batcher))
                    return batch
                wait = self._batcher.wait_time()
                self._cond.wait(timeout=0.1 if wait is None else max(wait, 0.0005))
        return None

    def _prepare_loop(self) -> None:
        while True:
            while len(self._in_flight) >= self._max_in_flight:
                self._in_flight[0].wait()
                self._in_flight.popleft()
            batch = self._next_batch()
            if batch is None:
                break
            try:
                tensor, started = self._prepare(batch)
            except Exception:
                self._fail(batch)
                self.heartbeat.done()
                continue
            done = threading.Event()
            self._in_flight.append(done)
            self._prepared.put((batch, tensor, started, done))
        for _ in range(self.workers):
            self._prepared.put(_STOP)

    def _infer_loop(self) -> None:
        while True:
            item = self._prepared.get()
            if item is _STOP:
                return
            batch, tensor, started, done = item
            try:
                self._finish(batch, tensor, started)
            except Exception:
                self._fail(batch)
            finally:
                self.heartbeat.done()
                done.set()

    def _run(self, batch: Batch[Work]) -> None:
        try:
            tensor, started = self._prepare(batch)
            self._finish(batch, tensor, started)
        except Exception:
            self._fail(batch)

    def _prepare(self, batch: Batch[Work]) -> tuple[Any, float]:
        started = self._clock()
        self._metrics.stage(
            "queue", started - sum(batch.enqueued_at) / len(batch), len(batch)
        )
        tensor = self.detector.assemble([work.letterboxed for work in batch.items])
        self._metrics.stage("assemble", (self._clock() - started) / len(batch), len(batch))
        return tensor, started

    def _finish(self, batch: Batch[Work], tensor: Any, started: float) -> None:
        size = len(batch)
        t0 = self._clock()
        raw = self.detector.infer(tensor)
        t1 = self._clock()
        detections = self.detector.postprocess(raw, tensor)
        t2 = self._clock()
        self.latency.observe(size, t2 - started, now=t2)
        self._metrics.stage("inference", (t1 - t0) / size, size)
        self._metrics.stage("postprocess", (t2 - t1) / size, size)
        self._metrics.batch(self.model_id, size, inference_s=t1 - t0)
        for work, found in zip(batch.items, detections, strict=True):
            self._on_done(work, shift_detections(found, work.offset))

    def _fail(self, batch: Batch[Work]) -> None:
        log.exception("model %r: batch of %d failed; frames counted as shed", self.model_id,
                      len(batch))
        for work in batch.items:
            self._metrics.count(work.frame.camera_id, "shed")
