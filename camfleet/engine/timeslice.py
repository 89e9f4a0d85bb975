"""Mode ``timeslice``: the seed's design as a first-class baseline.

One worker *process* per camera, each with its own ONNX Runtime session (its own model copy
and, on a GPU, its own CUDA context) running batches of one, as N time-sliced pods sharing a
GPU do. Workers report through a queue into the same :class:`FleetMetrics` the shared engine
uses, so ``camfleet bench`` compares like with like. Frames a worker is too slow for are
dropped by its camera's slot (drop-oldest) and counted.
"""

from __future__ import annotations

import logging
import multiprocessing as mp
import os
import queue
import threading
import time
from collections import Counter
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from multiprocessing.synchronize import Event as MpEvent
from pathlib import Path
from typing import Any

from camfleet.config import CameraConfig, FleetConfig, ModelConfig
from camfleet.engine.gate import MotionGate
from camfleet.engine.metrics import FleetMetrics
from camfleet.engine.work import crop_to_roi, shift_detections
from camfleet.errors import CamfleetError, ConfigError
from camfleet.events import CommitReporting, ResultSink
from camfleet.frames import Frame
from camfleet.model import Detector

__all__ = ["SinkFactory", "TimesliceEngine", "threads_per_worker"]

# A picklable callable that builds a worker's own result sink for its part of the fleet.
SinkFactory = Callable[[FleetConfig], ResultSink]

log = logging.getLogger(__name__)

_REPORT_EVERY_S = 0.25
_START_TIMEOUT_S = 120.0


def threads_per_worker(workers: int, cores: int | None = None) -> int:
    """Split the cores between workers (at least one thread each): oversubscribing a CPU
    with one full-width session per worker only makes the baseline slower."""
    cores = cores or os.cpu_count() or 1
    return max(1, cores // max(1, workers))


@dataclass(slots=True)
class _Report:
    """What a worker sends its parent every few hundred milliseconds."""

    camera_id: str
    counts: Counter[str] = field(default_factory=Counter)
    latencies_s: list[float] = field(default_factory=list)
    committed_s: list[float] = field(default_factory=list)
    stages: list[tuple[str, float]] = field(default_factory=list)
    state: str = "starting"
    error: str | None = None


def _no_runtime_changes(camera_id: str) -> ConfigError:
    return ConfigError(
        f"camera {camera_id!r}: runtime.mode timeslice cannot add, change or remove cameras "
        "while it runs; use runtime.mode shared (as camfleet serve does) or restart"
    )


def _worker_main(
    fleet_json: str,
    camera_id: str,
    cache_dir: str,
    threads: int,
    sink_factory: SinkFactory | None,
    out: mp.Queue[Any],
    ready: MpEvent,
    stop: MpEvent,
) -> None:
    from camfleet.engine.models import load_fleet_models
    from camfleet.engine.shared import open_camera, warm_up
    from camfleet.sources import CameraReader, FrameSlot

    fleet = FleetConfig.model_validate_json(fleet_json)
    camera = next(c for c in fleet.cameras if c.id == camera_id)
    fleet_of_one = fleet.model_copy(update={"cameras": [camera]})
    report = _Report(camera.id)
    try:
        detectors = load_fleet_models(
            fleet_of_one, Path(cache_dir), threads=threads, max_batch=1
        )
        for detector in detectors.values():
            warm_up(detector)
    except CamfleetError as exc:
        report.state, report.error = "failed", str(exc)
        out.put(report)
        ready.set()
        return
    slot = FrameSlot(capacity=fleet.runtime.queue_per_camera)
    reader = CameraReader(camera.id, factory=open_camera(camera), slot=slot)
    gate = MotionGate(camera.motion.sensitivity, camera.motion.keepalive_s,
                      enabled=camera.motion.enabled)
    sink = None if sink_factory is None else sink_factory(fleet_of_one)
    if isinstance(sink, CommitReporting):
        # The writer thread appends while this loop swaps reports: append to whichever
        # report is current (a list append is atomic).
        sink.set_commit_listener(lambda _camera, seconds: report.committed_s.append(seconds))
    reader.start()
    ready.set()
    dropped_seen = 0
    last_report = time.monotonic()
    parent = os.getppid()
    try:
        # A worker whose parent died (killed, not stopped) must not run on as an orphan.
        while not stop.is_set() and os.getppid() == parent:
            frame = slot.get(timeout=0.05)
            if frame is not None:
                _analyse(frame, camera, gate, detectors, report, sink)
            now = time.monotonic()
            if now - last_report >= _REPORT_EVERY_S:
                dropped = slot.dropped
                report.counts["dropped"] += dropped - dropped_seen
                dropped_seen = dropped
                status = reader.status
                report.state, report.error = status.state, status.last_error
                out.put(report)
                report = _Report(camera.id)
                last_report = now
    finally:
        reader.stop(timeout=2.0)
        report.counts["dropped"] += slot.dropped - dropped_seen
        report.state = "stopped"
        out.put(report)
        for detector in detectors.values():
            detector.close()
        if sink is not None:
            sink.close()


def _analyse(
    frame: Frame,
    camera: CameraConfig,
    gate: MotionGate,
    detectors: Mapping[str, Detector],
    report: _Report,
    sink: ResultSink | None,
) -> None:
    report.counts["sampled"] += 1
    image, offset = crop_to_roi(frame.image, camera.roi)
    if not gate.decide(image, frame.captured_at).analyse:
        report.counts["gated"] += 1
        return
    for model_id, detector in detectors.items():
        t0 = time.monotonic()
        batch = detector.preprocess([image])
        t1 = time.monotonic()
        raw = detector.infer(batch)
        t2 = time.monotonic()
        found = shift_detections(detector.postprocess(raw, batch)[0], offset)
        t3 = time.monotonic()
        report.stages += [("preprocess", t1 - t0), ("inference", t2 - t1), ("postprocess", t3 - t2)]
        if sink is not None:
            try:
                sink.on_result(frame, model_id, found)
            except Exception:
                log.exception("camera %r: result sink failed", camera.id)
            report.stages.append(("sink", time.monotonic() - t3))
        report.latencies_s.append(time.monotonic() - frame.captured_at)


class TimesliceEngine:
    """N worker processes, one per camera; same start/stop/metrics surface as SharedEngine.

    Each worker builds its own result sink with ``sink_factory`` (its own database writer),
    as separate pods would.
    """

    def __init__(
        self,
        fleet: FleetConfig,
        sink_factory: SinkFactory | None = None,
        cache_dir: Path = Path("camfleet-data/cache"),
        metrics: FleetMetrics | None = None,
        threads: int | None = None,
    ) -> None:
        self.fleet = fleet
        self.sink_factory = sink_factory
        self.metrics = metrics if metrics is not None else FleetMetrics()
        self._cache_dir = cache_dir
        self._threads = threads or fleet.runtime.threads or threads_per_worker(len(fleet.cameras))
        self._ctx = mp.get_context("spawn")
        self._out: mp.Queue[Any] = self._ctx.Queue(maxsize=10_000)
        self._stop = self._ctx.Event()
        self._workers: list[tuple[Any, MpEvent]] = []
        self._collector = threading.Thread(target=self._collect, name="timeslice-collector",
                                           daemon=True)
        self._running = False
        self._last_report: dict[str, float] = {}

    def start(self) -> None:
        fleet_json = self.fleet.model_dump_json()
        for camera in self.fleet.cameras:
            ready = self._ctx.Event()
            process = self._ctx.Process(
                target=_worker_main,
                name=f"timeslice-{camera.id}",
                args=(fleet_json, camera.id, str(self._cache_dir), self._threads,
                      self.sink_factory, self._out, ready, self._stop),
                daemon=True,
            )
            process.start()
            self._workers.append((process, ready))
            self.metrics.add_camera(camera.id)
        self._running = True
        self._collector.start()
        deadline = time.monotonic() + _START_TIMEOUT_S
        for process, ready in self._workers:
            while not ready.wait(0.2):
                if not process.is_alive() or time.monotonic() > deadline:
                    self.stop(drain=False)
                    raise CamfleetError(
                        f"timeslice worker {process.name} did not start (exit code "
                        f"{process.exitcode}); run with --debug for its log"
                    )

    def stop(self, drain: bool = True, timeout: float = 10.0) -> None:
        """Signal the workers, wait for their last reports (join with timeout, then kill)."""
        if not self._running:
            return
        self._stop.set()
        deadline = time.monotonic() + timeout
        for process, _ in self._workers:
            process.join(max(0.1, deadline - time.monotonic()))
            if process.is_alive():
                log.warning("timeslice worker %s did not stop in time; killing it", process.name)
                process.kill()
                process.join(1.0)
        self._running = False
        self._collector.join(timeout)

    # Run-time changes: a worker per camera could be started and stopped alone, but each
    # start costs a process, a session and a warm-up; the service runs mode shared.

    def camera_ids(self) -> frozenset[str]:
        return frozenset(camera.id for camera in self.fleet.cameras)

    def add_camera(self, camera: CameraConfig) -> None:
        raise _no_runtime_changes(camera.id)

    def remove_camera(self, camera_id: str) -> None:
        raise _no_runtime_changes(camera_id)

    def replace_camera(self, camera: CameraConfig) -> None:
        raise _no_runtime_changes(camera.id)

    def set_models(self, models: Mapping[str, ModelConfig]) -> None:
        raise ConfigError("runtime.mode timeslice: models are fixed while it runs; use "
                          "runtime.mode shared to change them at run time")

    def latest_frame_jpeg(self, camera_id: str) -> bytes | None:
        return None  # frames stay inside the worker processes

    def last_progress_age_s(self) -> float:
        """Seconds since the quietest worker last reported (each reports every 0.25 s while
        its loop runs); 0.0 before the first report or when stopped."""
        if not self._running or not self._last_report:
            return 0.0
        return max(0.0, time.monotonic() - min(self._last_report.values()))

    def __enter__(self) -> TimesliceEngine:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def _collect(self) -> None:
        while self._running or not self._out.empty():
            try:
                report: _Report = self._out.get(timeout=0.1)
            except queue.Empty:
                continue
            self._record(report)

    def _record(self, report: _Report) -> None:
        camera_id = report.camera_id
        for outcome, n in report.counts.items():
            if n:
                self.metrics.count(camera_id, outcome, n)
        for stage, seconds in report.stages:
            self.metrics.stage(stage, seconds)
        for _ in range(len(report.stages) // 3):
            self.metrics.batch("timeslice", 1)
        for seconds in report.latencies_s:
            self.metrics.result_latency(camera_id, seconds)
        for seconds in report.committed_s:
            self.metrics.committed_latency(camera_id, seconds)
        self.metrics.camera_state(camera_id, report.state, report.error)
        self._last_report[camera_id] = time.monotonic()
