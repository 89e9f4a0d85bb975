"""Time a detector's three stages (preprocess, inference, postprocess) on one frame.

Each iteration runs the three stages on a batch of copies of the same frame and times each
with ``time.perf_counter``; results are per image (stage time / batch size), as the
benchmarks in ARCHITECTURE.md report them. Detectors compared side by side (float vs uint8
input, say) take turns every iteration.
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from camfleet.model.detector import Detector

__all__ = ["StageStats", "StageTimings", "compare_stages", "time_stages"]


@dataclass(frozen=True, slots=True)
class StageStats:
    """Milliseconds per image for one stage."""

    p50_ms: float
    p99_ms: float

    @classmethod
    def of(cls, seconds_per_batch: npt.NDArray[np.float64], batch: int) -> StageStats:
        per_image_ms = seconds_per_batch * 1000.0 / batch
        return cls(
            p50_ms=float(np.percentile(per_image_ms, 50)),
            p99_ms=float(np.percentile(per_image_ms, 99)),
        )


@dataclass(frozen=True, slots=True)
class StageTimings:
    """One batch size's timings: per-image stage costs and end-to-end throughput."""

    batch: int
    frame_shape: tuple[int, int]
    canvas_shape: tuple[int, int]
    iters: int
    preprocess: StageStats
    inference: StageStats
    postprocess: StageStats
    pre_post: StageStats
    total: StageStats
    images_per_s: float

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def time_stages(
    detector: Detector,
    frame: npt.NDArray[np.uint8],
    batch_sizes: Iterable[int] = (1,),
    iters: int = 20,
    warmup: int = 2,
) -> list[StageTimings]:
    """Run ``warmup`` untimed then ``iters`` timed iterations for each batch size."""
    return [
        compare_stages([detector], frame, batch, iters=iters, warmup=warmup)[0]
        for batch in batch_sizes
    ]


def compare_stages(
    detectors: Sequence[Detector],
    frame: npt.NDArray[np.uint8],
    batch: int,
    iters: int = 20,
    warmup: int = 2,
) -> list[StageTimings]:
    """Time several detectors at one batch size, alternating between them every iteration
    so that a noisy (shared) machine slows each of them alike; one result per detector."""
    if iters < 1:
        raise ValueError(f"iters must be at least 1, got {iters}")
    if batch < 1:
        raise ValueError(f"batch sizes must be at least 1, got {batch}")
    images = [frame] * batch
    for detector in detectors:
        for _ in range(warmup):
            detector.detect(images)
    seconds = np.empty((len(detectors), iters, 3), np.float64)
    canvases = [(0, 0)] * len(detectors)
    order = list(enumerate(detectors))
    for i in range(iters):
        # ABBA: alternate who goes first too, so neither always runs on a warmer cache.
        for d, detector in order if i % 2 == 0 else order[::-1]:
            t0 = time.perf_counter()
            prepared = detector.preprocess(images)
            t1 = time.perf_counter()
            raw = detector.infer(prepared)
            t2 = time.perf_counter()
            detector.postprocess(raw, prepared)
            t3 = time.perf_counter()
            seconds[d, i] = (t1 - t0, t2 - t1, t3 - t2)
            canvases[d] = prepared.canvas_shape
    frame_shape = (int(frame.shape[0]), int(frame.shape[1]))
    return [_summary(s, batch, frame_shape, c) for s, c in zip(seconds, canvases, strict=True)]


def _summary(
    seconds: npt.NDArray[np.float64],
    batch: int,
    frame_shape: tuple[int, int],
    canvas_shape: tuple[int, int],
) -> StageTimings:
    totals = seconds.sum(axis=1)
    return StageTimings(
        batch=batch,
        frame_shape=frame_shape,
        canvas_shape=canvas_shape,
        iters=len(seconds),
        preprocess=StageStats.of(seconds[:, 0], batch),
        inference=StageStats.of(seconds[:, 1], batch),
        postprocess=StageStats.of(seconds[:, 2], batch),
        pre_post=StageStats.of(seconds[:, 0] + seconds[:, 2], batch),
        total=StageStats.of(totals, batch),
        images_per_s=float(batch * len(seconds) / totals.sum()),
    )
