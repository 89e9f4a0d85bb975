"""ModelLane with a fake detector that reuses two input buffers, as the real one does."""

from __future__ import annotations

import random
import threading
import time
from types import SimpleNamespace

import numpy as np
import pytest

from camfleet.engine.batcher import BatchPolicy
from camfleet.engine.lane import ModelLane
from camfleet.engine.metrics import FleetMetrics
from camfleet.engine.work import Work
from camfleet.frames import Detections, Frame


class RingBufferDetector:
    """preprocess writes each frame's seq into one of ``in_flight`` reused buffers; infer
    reads it back after a random delay. A buffer overwritten while its batch runs shows up
    as wrong ids."""

    def __init__(self, in_flight: int = 2) -> None:
        self.in_flight = in_flight
        self._buffers = [np.zeros(64, np.int64) for _ in range(in_flight)]
        self._turn = 0
        self.concurrent = 0
        self.max_concurrent = 0
        self._lock = threading.Lock()

    def letterbox(self, image: np.ndarray) -> SimpleNamespace:
        return SimpleNamespace(canvas=image, value=int(image[0, 0, 0]))

    def assemble(self, items: list[SimpleNamespace]) -> np.ndarray:
        buffer = self._buffers[self._turn]
        self._turn = (self._turn + 1) % self.in_flight
        buffer[: len(items)] = [item.value for item in items]
        return buffer[: len(items)]

    def infer(self, batch: np.ndarray) -> np.ndarray:
        with self._lock:
            self.concurrent += 1
            self.max_concurrent = max(self.max_concurrent, self.concurrent)
        time.sleep(random.uniform(0.001, 0.02))
        with self._lock:
            self.concurrent -= 1
        return batch.copy()

    def postprocess(self, raw: np.ndarray, batch: np.ndarray) -> list[Detections]:
        return [
            Detections(np.array([[v, 0, v + 1, 1]], np.float32), np.ones(1), np.zeros(1))
            for v in raw.tolist()
        ]


@pytest.mark.parametrize(("workers", "in_flight"), [(1, 2), (2, 2), (3, 4), (4, 4)])
def test_results_belong_to_their_frames_with_concurrent_batches(workers, in_flight):
    random.seed(workers)
    detector = RingBufferDetector(in_flight)
    results: dict[int, float] = {}
    lock = threading.Lock()

    def on_done(work: Work, detections: Detections) -> None:
        with lock:
            results[work.frame.seq] = float(detections.xyxy[0, 0])

    lane = ModelLane(
        "m", detector, BatchPolicy(max_batch=3, max_wait_s=0.001), slo_s=60.0,
        metrics=FleetMetrics(), on_done=on_done, capacity=1000, workers=workers,
    )
    lane.start()
    for seq in range(200):
        image = np.full((2, 2, 3), seq % 250, np.uint8)
        lane.offer(Work(Frame(f"cam{seq % 5}", seq, time.monotonic(), image), "m", image, (0, 0)))
        time.sleep(0.0005)
    lane.stop(drain=True)
    assert len(results) == 200
    assert all(value == seq % 250 for seq, value in results.items())
    assert detector.max_concurrent == workers


def test_worker_count_is_validated():
    with pytest.raises(ValueError, match="workers"):
        ModelLane("m", RingBufferDetector(2), BatchPolicy(1, 0.0), 1.0, FleetMetrics(),
                  lambda w, d: None, capacity=4, workers=3)
