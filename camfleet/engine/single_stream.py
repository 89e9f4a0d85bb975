"""One stream, one model, frame by frame: ``camfleet detect`` and ``camfleet demo``.

Times the four stages the seed's table names (decode, preprocess, inference, postprocess)
for every frame, so a user can compare with the seed's 2.7 / 7.9 / 1.1 ms.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from camfleet.frames import Detections, Frame
from camfleet.model import Detector
from camfleet.sources import Source

__all__ = ["StageTimes", "detect_stream"]

PIPELINE_STAGES = ("decode", "preprocess", "inference", "postprocess")


@dataclass(slots=True)
class StageTimes:
    """Milliseconds per frame for each stage, and the wall time of the whole run."""

    samples_ms: dict[str, list[float]] = field(
        default_factory=lambda: {stage: [] for stage in PIPELINE_STAGES}
    )
    frames: int = 0
    wall_s: float = 0.0

    def add(self, stage: str, seconds: float) -> None:
        self.samples_ms[stage].append(seconds * 1000.0)

    def merge(self, other: StageTimes) -> None:
        for stage, samples in other.samples_ms.items():
            self.samples_ms[stage].extend(samples)
        self.frames += other.frames
        self.wall_s += other.wall_s

    def percentile(self, stage: str, q: float) -> float:
        samples = self.samples_ms[stage]
        return float(np.percentile(samples, q)) if samples else float("nan")

    @property
    def fps(self) -> float:
        return self.frames / self.wall_s if self.wall_s > 0 else 0.0


def detect_stream(
    source: Source,
    detector: Detector,
    on_result: Callable[[Frame, Detections], None],
    max_frames: int | None = None,
    should_stop: Callable[[], bool] = lambda: False,
) -> StageTimes:
    """Run ``detector`` on every frame ``source`` emits; call ``on_result`` for each."""
    times = StageTimes()
    started = time.perf_counter()
    while max_frames is None or times.frames < max_frames:
        if should_stop():
            break
        t0 = time.perf_counter()
        frame = source.read()
        t1 = time.perf_counter()
        if frame is None:
            break
        batch = detector.preprocess([frame.image])
        t2 = time.perf_counter()
        raw = detector.infer(batch)
        t3 = time.perf_counter()
        detections = detector.postprocess(raw, batch)[0]
        t4 = time.perf_counter()
        for stage, seconds in zip(PIPELINE_STAGES, (t1 - t0, t2 - t1, t3 - t2, t4 - t3),
                                  strict=True):
            times.add(stage, seconds)
        times.frames += 1
        on_result(frame, detections)
    times.wall_s = time.perf_counter() - started
    return times
