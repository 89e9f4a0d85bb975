"""Per-camera, per-model and per-stage counters and latency histograms.

One :class:`FleetMetrics` per engine. Every number the live table, ``camfleet bench``, the API
and Prometheus show comes from the calls below, so they always agree. Latency samples are kept
in bounded windows for exact percentiles; Prometheus gets the same values as histograms.

Two latencies, named for what they measure:

* ``capture -> result`` (:meth:`FleetMetrics.result_latency`): from decode until the result
  sink (tracking, rules) has the frame's result and handed its records to the store. The SLO
  judges this one.
* ``capture -> committed`` (:meth:`FleetMetrics.committed_latency`): until the store's batch
  holding that frame's records is committed: store lag, including batching and any outage.
"""

from __future__ import annotations

import contextlib
import threading
import time
from collections import Counter as Tally
from collections import deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

import numpy as np
from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram

__all__ = [
    "STAGES",
    "CameraSnapshot",
    "FleetMetrics",
    "FleetSnapshot",
    "ModelSnapshot",
    "percentile_ms",
]

STAGES = (
    "decode", "gate", "preprocess", "queue", "assemble", "inference", "postprocess", "sink"
)
OUTCOMES = ("sampled", "gated", "analysed", "shed", "dropped")
_LATENCY_BUCKETS_S = (0.01, 0.025, 0.05, 0.1, 0.2, 0.3, 0.4, 0.5, 0.75, 1.0, 2.0, 5.0, 10.0,
                      30.0)
_STAGE_BUCKETS_S = (0.0005, 0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1.0)
_WINDOW = 4096
_GLOBAL_WINDOW = 200_000
_REMEMBER_REMOVED = 10_000


def percentile_ms(samples: Iterable[float], q: float) -> float:
    """The q-th percentile of samples in ms, NaN when there are none."""
    values = samples if isinstance(samples, np.ndarray) else np.fromiter(samples, float)
    if not len(values):
        return float("nan")
    return float(np.percentile(values, q))


@dataclass(slots=True)
class _Camera:
    counts: dict[str, int] = field(default_factory=lambda: dict.fromkeys(OUTCOMES, 0))
    baseline: dict[str, int] = field(default_factory=lambda: dict.fromkeys(OUTCOMES, 0))
    result_ms: deque[float] = field(default_factory=lambda: deque(maxlen=_WINDOW))
    committed_ms: deque[float] = field(default_factory=lambda: deque(maxlen=_WINDOW))
    state: str = "starting"
    last_error: str | None = None


@dataclass(slots=True)
class _Model:
    images: int = 0
    batch_sizes: Tally[int] = field(default_factory=Tally)
    inference_ms: deque[float] = field(default_factory=lambda: deque(maxlen=_WINDOW))
    queue_depth: int = 0


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
    p50_ms: float  # capture -> result
    p99_ms: float
    committed_p50_ms: float = float("nan")  # capture -> committed
    committed_p99_ms: float = float("nan")
    fps_in: float = 0.0  # frames sampled per second over the window
    fps_analysed: float = 0.0


@dataclass(frozen=True, slots=True)
class ModelSnapshot:
    """One model lane over the window: throughput, batch sizes, backlog, run time."""

    model_id: str
    images: int
    images_per_s: float
    batch_histogram: dict[int, int]
    queue_depth: int
    p50_inference_ms: float  # one batch's inference run
    p99_inference_ms: float


@dataclass(frozen=True, slots=True)
class FleetSnapshot:
    """Counters since the last window reset, and percentiles over the window.

    ``latency_*`` is capture -> result (the SLO's latency); ``committed_*`` is capture ->
    committed to the database.
    """

    elapsed_s: float
    cameras: tuple[CameraSnapshot, ...]
    latency_p50_ms: float
    latency_p90_ms: float
    latency_p99_ms: float
    latency_samples: int
    stage_p50_ms: dict[str, float]
    stage_p99_ms: dict[str, float]
    mean_batch: float
    committed_p50_ms: float = float("nan")
    committed_p99_ms: float = float("nan")
    committed_samples: int = 0
    models: tuple[ModelSnapshot, ...] = ()

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
    """Thread-safe recorder. ``clock`` must be the same monotonic clock frames use.

    Recording methods only append under the lock; :meth:`snapshot` copies under the lock and
    computes percentiles after releasing it, so a snapshot never stalls the frame path.
    """

    def __init__(
        self,
        clock: Callable[[], float] = time.monotonic,
        registry: CollectorRegistry | None = None,
    ) -> None:
        self._clock = clock
        self._lock = threading.Lock()
        self._cameras: dict[str, _Camera] = {}
        self._models: dict[str, _Model] = {}
        # Recently removed cameras: late counts of their in-flight frames are ignored.
        self._removed: dict[str, None] = {}
        self._result_ms: deque[float] = deque(maxlen=_GLOBAL_WINDOW)
        self._committed_ms: deque[float] = deque(maxlen=_GLOBAL_WINDOW)
        self._stage_ms: dict[str, deque[float]] = {s: deque(maxlen=_WINDOW) for s in STAGES}
        self._batch_sizes: deque[int] = deque(maxlen=_WINDOW)
        self._window_start: float = self._now()
        self.registry = registry if registry is not None else CollectorRegistry()
        self._frames = Counter(
            "camfleet_frames", "Frames by camera and outcome", ["camera", "outcome"],
            registry=self.registry,
        )
        self._result_hist = Histogram(
            "camfleet_capture_to_result_seconds",
            "Capture to result handed to the store (the SLO latency)", ["camera"],
            buckets=_LATENCY_BUCKETS_S, registry=self.registry,
        )
        self._committed_hist = Histogram(
            "camfleet_capture_to_committed_seconds",
            "Capture to the database commit of the frame's records (store lag)", ["camera"],
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
        self._queue = Gauge(
            "camfleet_model_queue_depth", "Frames waiting in a model lane's batcher",
            ["model"], registry=self.registry,
        )
        self._up = Gauge(
            "camfleet_camera_up", "1 while the camera's source is streaming", ["camera"],
            registry=self.registry,
        )

    def _now(self) -> float:
        return self._clock()

    def add_camera(self, camera_id: str) -> None:
        with self._lock:
            self._removed.pop(camera_id, None)
            self._cameras.setdefault(camera_id, _Camera())

    def remove_camera(self, camera_id: str) -> None:
        """Forget a camera and drop its Prometheus series (labels stay bounded)."""
        with self._lock:
            self._cameras.pop(camera_id, None)
            self._removed[camera_id] = None
            if len(self._removed) > _REMEMBER_REMOVED:
                del self._removed[next(iter(self._removed))]
        removals: list[tuple[Counter | Histogram | Gauge, tuple[str, ...]]] = [
            (self._result_hist, (camera_id,)),
            (self._committed_hist, (camera_id,)),
            (self._up, (camera_id,)),
        ]
        removals += [(self._frames, (camera_id, outcome)) for outcome in OUTCOMES]
        for metric, labels in removals:
            with contextlib.suppress(KeyError):  # a series never observed
                metric.remove(*labels)

    def count(self, camera_id: str, outcome: str, n: int = 1) -> None:
        with self._lock:
            if camera_id in self._removed:
                return
            camera = self._cameras.setdefault(camera_id, _Camera())
            camera.counts[outcome] += n
        self._frames.labels(camera_id, outcome).inc(n)

    def result_latency(self, camera_id: str, seconds: float) -> None:
        """Capture -> result for one analysed frame (counts the frame as analysed)."""
        ms = seconds * 1000.0
        with self._lock:
            if camera_id in self._removed:
                return
            camera = self._cameras.setdefault(camera_id, _Camera())
            camera.result_ms.append(ms)
            camera.counts["analysed"] += 1
            self._result_ms.append(ms)
        self._result_hist.labels(camera_id).observe(seconds)
        self._frames.labels(camera_id, "analysed").inc()

    def committed_latency(self, camera_id: str, seconds: float) -> None:
        """Capture -> database commit; ignored for a camera no longer known (removed)."""
        ms = seconds * 1000.0
        with self._lock:
            camera = self._cameras.get(camera_id)
            if camera is None:
                return
            camera.committed_ms.append(ms)
            self._committed_ms.append(ms)
        self._committed_hist.labels(camera_id).observe(seconds)

    def stage(self, stage: str, seconds_per_image: float, images: int = 1) -> None:
        with self._lock:
            self._stage_ms[stage].extend([seconds_per_image * 1000.0] * min(images, 64))
        self._stage.labels(stage).observe(seconds_per_image)

    def batch(self, model_id: str, size: int, inference_s: float | None = None) -> None:
        """One inference batch of ``size`` images; ``inference_s`` is its run time."""
        with self._lock:
            self._batch_sizes.append(size)
            model = self._models.setdefault(model_id, _Model())
            model.images += size
            model.batch_sizes[size] += 1
            if inference_s is not None:
                model.inference_ms.append(inference_s * 1000.0)
        self._batch.labels(model_id).observe(size)

    def queue_depth(self, model_id: str, depth: int) -> None:
        with self._lock:
            self._models.setdefault(model_id, _Model()).queue_depth = depth
        self._queue.labels(model_id).set(depth)

    def camera_state(self, camera_id: str, state: str, error: str | None = None) -> None:
        with self._lock:
            camera = self._cameras.get(camera_id)
            if camera is None:  # removed while its state was being reported
                return
            camera.state = state
            camera.last_error = error
        self._up.labels(camera_id).set(1.0 if state == "streaming" else 0.0)

    def reset_window(self) -> None:
        """Start a new measurement window: percentiles and counters restart from here."""
        with self._lock:
            self._window_start = self._now()
            self._result_ms.clear()
            self._committed_ms.clear()
            self._batch_sizes.clear()
            for samples in self._stage_ms.values():
                samples.clear()
            for camera in self._cameras.values():
                camera.result_ms.clear()
                camera.committed_ms.clear()
                camera.baseline = dict(camera.counts)
            for model_id, model in self._models.items():
                self._models[model_id] = _Model(queue_depth=model.queue_depth)

    def snapshot(self) -> FleetSnapshot:
        with self._lock:  # copy only; every percentile is computed after the lock
            elapsed = self._now() - self._window_start
            cameras = [
                (camera_id, camera.state, camera.last_error,
                 {o: camera.counts[o] - camera.baseline[o] for o in OUTCOMES},
                 list(camera.result_ms), list(camera.committed_ms))
                for camera_id, camera in sorted(self._cameras.items())
            ]
            models = [
                (model_id, model.images, dict(model.batch_sizes), model.queue_depth,
                 list(model.inference_ms))
                for model_id, model in sorted(self._models.items())
            ]
            result = list(self._result_ms)
            committed = list(self._committed_ms)
            stages = {s: list(v) for s, v in self._stage_ms.items()}
            batches = list(self._batch_sizes)

        def rate(n: int) -> float:
            return n / elapsed if elapsed > 0 else 0.0

        return FleetSnapshot(
            elapsed_s=elapsed,
            cameras=tuple(
                CameraSnapshot(
                    camera_id=camera_id, state=state, last_error=error,
                    p50_ms=percentile_ms(res, 50), p99_ms=percentile_ms(res, 99),
                    committed_p50_ms=percentile_ms(com, 50),
                    committed_p99_ms=percentile_ms(com, 99),
                    fps_in=rate(counts["sampled"]), fps_analysed=rate(counts["analysed"]),
                    **counts,
                )
                for camera_id, state, error, counts, res, com in cameras
            ),
            latency_p50_ms=percentile_ms(result, 50),
            latency_p90_ms=percentile_ms(result, 90),
            latency_p99_ms=percentile_ms(result, 99),
            latency_samples=len(result),
            stage_p50_ms={s: percentile_ms(v, 50) for s, v in stages.items()},
            stage_p99_ms={s: percentile_ms(v, 99) for s, v in stages.items()},
            mean_batch=float(np.mean(batches)) if batches else 0.0,
            committed_p50_ms=percentile_ms(committed, 50),
            committed_p99_ms=percentile_ms(committed, 99),
            committed_samples=len(committed),
            models=tuple(
                ModelSnapshot(
                    model_id=model_id, images=images, images_per_s=rate(images),
                    batch_histogram=histogram, queue_depth=depth,
                    p50_inference_ms=percentile_ms(inference, 50),
                    p99_inference_ms=percentile_ms(inference, 99),
                )
                for model_id, images, histogram, depth, inference in models
            ),
        )
