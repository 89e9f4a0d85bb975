"""Mode ``shared``: one process serves every camera with one copy of each model.

    readers (thread per camera) -> slots -> intake threads (gate, ROI) -> model lanes
    (cross-camera deadline batcher, prepare + infer threads) -> results thread
    (sink: tracking, rules, store) -> latency recorded when the sink has the result

Every queue is bounded: a camera's slot drops its oldest frame, a lane's batcher sheds the
frame that can no longer meet its deadline, and the results queue applies back-pressure.
"""

from __future__ import annotations

import logging
import math
import queue
import threading
import time
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import cast

import numpy as np

from camfleet.config import CameraConfig, FleetConfig
from camfleet.engine.batcher import BatchPolicy
from camfleet.engine.intake import CameraIntake, IntakeThread
from camfleet.engine.lane import ModelLane
from camfleet.engine.metrics import FleetMetrics
from camfleet.engine.models import inference_workers, load_fleet_models
from camfleet.engine.work import Work
from camfleet.events import ResultSink
from camfleet.frames import Detections
from camfleet.model import Detector
from camfleet.sources import CameraReader, FrameSlot, Source, open_source

__all__ = ["SharedEngine", "default_max_wait_s", "open_camera", "warm_up"]

log = logging.getLogger(__name__)

_CAMERAS_PER_INTAKE_THREAD = 64
_RESULTS_QUEUE = 4096
_STOP = object()


def default_max_wait_s(slo_ms: float) -> float:
    """How long a partial batch may wait for company: a tenth of the SLO, at most 50 ms."""
    return min(0.05, slo_ms / 1000.0 / 10.0)


def open_camera(camera: CameraConfig) -> Callable[[], Source]:
    """A factory the camera's reader calls to (re)open the stream it analyses: its
    ``detect_source`` substream when it names one, else its ``source``."""
    return lambda: open_source(
        camera.analysed_source,
        camera_id=camera.id,
        analyze_fps=camera.analyze_fps,
        loop=camera.loop,
        realtime=camera.realtime,
        hwaccel=camera.hwaccel,
    )


def warm_up(detector: Detector, shape: tuple[int, int] = (720, 1280)) -> dict[int, float]:
    """Warm ``detector`` up and return measured seconds per batch, by batch size.

    On an accelerator every batch size is run once first (a new input shape costs a kernel
    search there, which must not land on a live frame's latency), then powers of two up to
    ``max_batch`` are timed: the batcher starts from real costs instead of extrapolating a
    batch of 32 from a batch of one (3x too pessimistic for YOLOv8n on an H100).
    """
    image = np.full((*shape, 3), 114, dtype=np.uint8)
    if detector.provider != "cpu":
        detector.warmup(batch_sizes=range(1, detector.max_batch + 1), shape=shape)
    detector.detect([image])
    timed = {1 << k for k in range(detector.max_batch.bit_length())} | {detector.max_batch}
    seconds: dict[int, float] = {}
    for size in sorted(timed):
        started = time.monotonic()
        detector.detect([image] * size)
        seconds[size] = max(time.monotonic() - started, 1e-4)
    return seconds


class SharedEngine:
    """Start with :meth:`start`, stop with :meth:`stop` (drains in-flight batches)."""

    def __init__(
        self,
        fleet: FleetConfig,
        sink: ResultSink | None = None,
        cache_dir: Path = Path("camfleet-data/cache"),
        metrics: FleetMetrics | None = None,
        detectors: Mapping[str, Detector] | None = None,
    ) -> None:
        self.fleet = fleet
        self.sink = sink
        self.metrics = metrics if metrics is not None else FleetMetrics()
        self._cache_dir = cache_dir
        self._detectors: dict[str, Detector] = dict(detectors) if detectors else {}
        self._owns_detectors = detectors is None
        self._lanes: dict[str, ModelLane] = {}
        self._readers: dict[str, CameraReader] = {}
        self._slots: dict[str, FrameSlot] = {}
        self._intakes: list[IntakeThread] = []
        self._results: queue.Queue[object] = queue.Queue(maxsize=_RESULTS_QUEUE)
        self._results_thread = threading.Thread(
            target=self._results_loop, name="results", daemon=True
        )
        self._monitor_thread = threading.Thread(
            target=self._monitor_loop, name="monitor", daemon=True
        )
        self._running = threading.Event()
        self._dropped_seen: dict[str, int] = {}

    def start(self) -> None:
        runtime = self.fleet.runtime
        if self._owns_detectors:
            self._detectors = load_fleet_models(self.fleet, self._cache_dir)
        max_wait = (
            runtime.max_wait_ms / 1000.0
            if runtime.max_wait_ms is not None
            else default_max_wait_s(runtime.slo_ms)
        )
        cameras_per_model = {
            model_id: sum(model_id in c.models for c in self.fleet.cameras)
            for model_id in self._detectors
        }
        for model_id, detector in self._detectors.items():
            cfg = self.fleet.models[model_id]
            self._lanes[model_id] = ModelLane(
                model_id,
                detector,
                BatchPolicy(max_batch=cfg.batch_limit, max_wait_s=max_wait),
                slo_s=runtime.slo_ms / 1000.0,
                metrics=self.metrics,
                on_done=self._on_done,
                capacity=max(cfg.batch_limit * 2, cameras_per_model[model_id] * 2),
                prior_latency=warm_up(detector),
                workers=min(inference_workers(runtime, cfg.provider), detector.in_flight),
            )
        self._running.set()
        self._results_thread.start()
        for lane in self._lanes.values():
            lane.start()
        n_intake = max(1, math.ceil(len(self.fleet.cameras) / _CAMERAS_PER_INTAKE_THREAD))
        self._intakes = [IntakeThread(f"intake-{i}") for i in range(n_intake)]
        for index, camera in enumerate(self.fleet.cameras):
            intake_thread = self._intakes[index % n_intake]
            lanes = [self._lanes[m] for m in camera.models]
            intake = CameraIntake.for_camera(camera, lanes, self.metrics)
            slot = FrameSlot(capacity=runtime.queue_per_camera, wakeup=intake_thread.wakeup)
            intake_thread.add(slot, intake)
            self._slots[camera.id] = slot
            self.metrics.add_camera(camera.id)
            self._readers[camera.id] = CameraReader(
                camera.id, factory=open_camera(camera), slot=slot
            )
        for intake_thread in self._intakes:
            intake_thread.start()
        for reader in self._readers.values():
            reader.start()
        self._monitor_thread.start()

    def stop(self, drain: bool = True, timeout: float = 10.0) -> None:
        """Stop sources, finish (``drain``) or shed queued frames, flush the sink."""
        if not self._running.is_set():
            return
        for reader in self._readers.values():
            reader.stop(timeout=2.0)
        for intake_thread in self._intakes:
            intake_thread.stop()
        for lane in self._lanes.values():
            lane.stop(drain=drain, timeout=timeout)
        self._running.clear()
        self._results.put(_STOP)
        self._results_thread.join(timeout)
        self._monitor_thread.join(2.0)
        self._sync_sources()
        if self.sink is not None:
            self.sink.close()
        if self._owns_detectors:
            for detector in self._detectors.values():
                detector.close()

    def __enter__(self) -> SharedEngine:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def _on_done(self, work: Work, detections: Detections) -> None:
        self._results.put((work, detections))

    def _results_loop(self) -> None:
        while True:
            item = self._results.get()
            if item is _STOP:
                return
            work, detections = cast(tuple[Work, Detections], item)
            frame = work.frame
            if self.sink is not None:
                started = time.monotonic()
                try:
                    self.sink.on_result(frame, work.model_id, detections)
                except Exception:
                    log.exception("camera %r: result sink failed", frame.camera_id)
                self.metrics.stage("sink", time.monotonic() - started)
            self.metrics.latency(frame.camera_id, time.monotonic() - frame.captured_at)

    def _monitor_loop(self) -> None:
        while self._running.is_set():
            self._sync_sources()
            time.sleep(0.25)

    def _sync_sources(self) -> None:
        for camera_id, reader in self._readers.items():
            status = reader.status
            self.metrics.camera_state(camera_id, status.state, status.last_error)
            dropped = self._slots[camera_id].dropped
            delta = dropped - self._dropped_seen.get(camera_id, 0)
            if delta:
                self.metrics.count(camera_id, "dropped", delta)
                self._dropped_seen[camera_id] = dropped
