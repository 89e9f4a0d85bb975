"""Per-camera and per-stage counters and latency histograms.

One :class:`FleetMetrics` per engine. Every number the live table, ``camfleet bench`` and
Prometheus show comes from the calls below, so they always agree. Latency samples are kept in
bounded windows for exact percentiles; Prometheus gets the same values as histograms.
"""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram

__all__ = ["STAGES", "CameraSnapshot", "FleetMetrics", "FleetSnapshot", "percentile_ms"]

STAGES = (
    "decode", "gate", "preprocess", "queue", "assemble", "inference", "postprocess", "sink"
)
OUTCOMES = ("sampled", "gated", "analysed", "shed", "dropped")
_LATENCY_BUCKETS_S = (0.01, 0.025, 0.05, 0.1, 0.2, 0.3, 0.4, 0.5, 0.75, 1.0, 2.0, 5.0)
_STAGE_BUCKETS_S = (0.0005, 0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1.0)
_WINDOW = 4096
_GLOBAL_WINDOW = 200_000


def percentile_ms(samples: deque[float] | list[float], q: float) -> float:
    """The q-th percentile of samples in ms, NaN when there are none."""
    if not samples:
        return float("nan")
    return float(np.percentile(np.fromiter(samples, float, len(samples)), q))


@dataclass(slots=True)
class _Camera:
    counts: dict[str, int] = field(default_factory=lambda: dict.fromkeys(OUTCOMES, 0))
    baseline: dict[str, int] = field(default_factory=lambda: dict.fromkeys(OUTCOMES, 0))
    latency_ms: deque[float] = field(default_factory=lambda: deque(maxlen=_WINDOW))
    state: str = "starting"
    last_error: str | None = None


@dataclass(frozen=True, slots=True)
class CameraSnapshot:
    camera_id: str
    state: str
    last_error: str | None
    sampled: int
    gated: int
    analysed: int
    shed: int
    dropped: int
    p50_ms: float
    p99_ms: float


@dataclass(frozen=True, slots=True)
class FleetSnapshot:
    """Counters since the last window reset, and percentiles over the window."""

    elapsed_s: float
    cameras: tuple[CameraSnapshot, ...]
    latency_p50_ms: float
    latency_p90_ms: float
    latency_p99_ms: float
    latency_samples: int
    stage_p50_ms: dict[str, float]
    stage_p99_ms: dict[str, float]
    mean_batch: float

    def total(self, outcome: str) -> int:
        return int(sum(getattr(camera, outcome) for camera in self.cameras))

    @property
    def analysed_per_s(self) -> float:
        return self.total("analysed") / self.elapsed_s if self.elapsed_s > 0 else 0.0

    @property
    def shed_pct(self) -> float:
        """Frames lost (shed by a batcher or dropped by a full camera slot) as a percentage
        of the frames that reached the engine and were not gated."""
        lost = self.total("shed") + self.total("dropped")
        wanted = self.total("analysed") + lost
        return 100.0 * lost / wanted if wanted else 0.0


class FleetMetrics:
    """Thread-safe recorder. ``clock`` must be the same monotonic clock frames use."""

    def __init__(
        self,
        clock: Callable[[], float] = time.monotonic,
        registry: CollectorRegistry | None = None,
    ) -> None:
        self._clock = clock
        self._lock = threading.Lock()
        self._cameras: dict[str, _Camera] = {}
        self._latency_ms: deque[float] = deque(maxlen=_GLOBAL_WINDOW)
        self._stage_ms: dict[str, deque[float]] = {s: deque(maxlen=_WINDOW) for s in STAGES}
        self._batch_sizes: deque[int] = deque(maxlen=_WINDOW)
        self._window_start: float = self._now()
        self.registry = registry if registry is not None else CollectorRegistry()
        self._frames = Counter(
            "camfleet_frames", "Frames by camera and outcome", ["camera", "outcome"],
            registry=self.registry,
        )
        self._latency = Histogram(
            "camfleet_latency_seconds", "Capture-to-stored latency", ["camera"],
            buckets=_LATENCY_BUCKETS_S, registry=self.registry,
        )
        self._stage = Histogram(
            "camfleet_stage_seconds", "Time per image in each pipeline stage", ["stage"],
            buckets=_STAGE_BUCKETS_S, registry=self.registry,
        )
        self._batch = Histogram(
            "camfleet_batch_size", "Frames per inference batch", ["model"],
            buckets=(1, 2, 4, 8, 16, 32, 64, 128), registry=self.registry,
        )
        self._up = Gauge(
            "camfleet_camera_up", "1 while the camera's source is streaming", ["camera"],
            registry=self.registry,
        )

    def _now(self) -> float:
        return self._clock()

    def add_camera(self, camera_id: str) -> None:
        with self._lock:
            self._cameras.setdefault(camera_id, _Camera())

    def count(self, camera_id: str, outcome: str, n: int = 1) -> None:
        with self._lock:
            camera = self._cameras.setdefault(camera_id, _Camera())
            camera.counts[outcome] += n
        self._frames.labels(camera_id, outcome).inc(n)

    def latency(self, camera_id: str, seconds: float) -> None:
        ms = seconds * 1000.0
        with self._lock:
            camera = self._cameras.setdefault(camera_id, _Camera())
            camera.latency_ms.append(ms)
            camera.counts["analysed"] += 1
            self._latency_ms.append(ms)
        self._latency.labels(camera_id).observe(seconds)
        self._frames.labels(camera_id, "analysed").inc()

    def stage(self, stage: str, seconds_per_image: float, images: int = 1) -> None:
        with self._lock:
            self._stage_ms[stage].extend([seconds_per_image * 1000.0] * min(images, 64))
        self._stage.labels(stage).observe(seconds_per_image)

    def batch(self, model_id: str, size: int) -> None:
        with self._lock:
            self._batch_sizes.append(size)
        self._batch.labels(model_id).observe(size)

    def camera_state(self, camera_id: str, state: str, error: str | None = None) -> None:
        with self._lock:
            camera = self._cameras.setdefault(camera_id, _Camera())
            camera.state = state
            camera.last_error = error
        self._up.labels(camera_id).set(1.0 if state == "streaming" else 0.0)

    def reset_window(self) -> None:
        """Start a new measurement window: percentiles and counters restart from here."""
        with self._lock:
            self._window_start = self._now()
            self._latency_ms.clear()
            self._batch_sizes.clear()
            for samples in self._stage_ms.values():
                samples.clear()
            for camera in self._cameras.values():
                camera.latency_ms.clear()
                camera.baseline = dict(camera.counts)

    def snapshot(self) -> FleetSnapshot:
        with self._lock:
            cameras = tuple(
                CameraSnapshot(
                    camera_id=camera_id,
                    state=camera.state,
                    last_error=camera.last_error,
                    p50_ms=percentile_ms(camera.latency_ms, 50),
                    p99_ms=percentile_ms(camera.latency_ms, 99),
                    **{o: camera.counts[o] - camera.baseline[o] for o in OUTCOMES},
                )
                for camera_id, camera in sorted(self._cameras.items())
            )
            latency = list(self._latency_ms)
            return FleetSnapshot(
                elapsed_s=self._now() - self._window_start,
                cameras=cameras,
                latency_p50_ms=percentile_ms(latency, 50),
                latency_p90_ms=percentile_ms(latency, 90),
                latency_p99_ms=percentile_ms(latency, 99),
                latency_samples=len(latency),
                stage_p50_ms={s: percentile_ms(v, 50) for s, v in self._stage_ms.items()},
                stage_p99_ms={s: percentile_ms(v, 99) for s, v in self._stage_ms.items()},
                mean_batch=float(np.mean(self._batch_sizes)) if self._batch_sizes else 0.0,
            )
