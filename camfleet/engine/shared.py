"""Mode ``shared``: one process serves every camera with one copy of each model.

    readers (thread per camera) -> slots -> intake threads (gate, ROI) -> model lanes
    (cross-camera deadline batcher, prepare + infer threads) -> results threads (sink:
    tracking, rules, store hand-off; a camera always on the same thread) -> capture -> result
    latency recorded when the sink has the result

Every queue is bounded: a camera's slot drops its oldest frame, a lane's batcher sheds the
frame that can no longer meet its deadline, and the results queues apply back-pressure.

Cameras and models change while it runs (:meth:`SharedEngine.add_camera`,
:meth:`~SharedEngine.remove_camera`, :meth:`~SharedEngine.set_models`): a change starts or
stops only that camera's reader, slot, intake entry and analytics state; lanes, intake
threads and results threads are shared and keep running.
"""

from __future__ import annotations

import logging
import math
import os
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np

from camfleet.config import CameraConfig, FleetConfig, ModelConfig
from camfleet.engine.batcher import BatchPolicy
from camfleet.engine.intake import CameraIntake, IntakeThread
from camfleet.engine.lane import ModelLane
from camfleet.engine.latest import LatestFrames
from camfleet.engine.metrics import FleetMetrics
from camfleet.engine.models import inference_workers, load_fleet_models
from camfleet.engine.results import ResultsStage
from camfleet.engine.work import Work
from camfleet.errors import ConfigError
from camfleet.events import CommitReporting, ResultSink
from camfleet.frames import Detections
from camfleet.model import Detector
from camfleet.sources import CameraReader, FrameSlot, Source, open_source
from camfleet.sources.keyframe import LatestKeyframe

__all__ = ["SharedEngine", "default_max_wait_s", "default_results_threads", "open_camera",
           "warm_up"]

log = logging.getLogger(__name__)

_CAMERAS_PER_INTAKE_THREAD = 64
_RESULTS_QUEUE = 4096
_MIN_RESULTS_THREADS = 4
_MAX_RESULTS_THREADS = 8
_READER_STOP_S = 5.0


def default_max_wait_s(slo_ms: float) -> float:
    """How long a partial batch may wait for company: a tenth of the SLO, at most 50 ms."""
    return min(0.05, slo_ms / 1000.0 / 10.0)


def default_results_threads() -> int:
    """One results thread per core, at least four and at most eight.

    At least four even on 2 cores: inside the engine the sink's Python shares the interpreter
    lock with every reader, intake and lane thread, and one results thread fell 1.7 s behind
    where four kept up (BENCHMARKS.md, results stage)."""
    return max(_MIN_RESULTS_THREADS, min(os.cpu_count() or 1, _MAX_RESULTS_THREADS))


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


@dataclass(slots=True)
class _RunningCamera:
    config: CameraConfig
    reader: CameraReader
    slot: FrameSlot
    intake_thread: IntakeThread
    started_at: float  # results of frames captured before this belong to an earlier run
    main_stream: LatestKeyframe | None = None  # with a detect_source: snapshots come from here
    frames_seen: int = 0
    last_frame_at: float = field(default_factory=time.monotonic)
    dropped_seen: int = 0


class SharedEngine:
    """Start with :meth:`start`, stop with :meth:`stop` (drains in-flight batches).

    ``cameras`` overrides ``fleet.cameras`` and may be empty (a service with no cameras yet;
    a :class:`FleetConfig` itself needs one). A ``sink`` already knows the cameras the engine
    starts with; it hears of later ones through ``add_camera`` / ``remove_camera``.
    ``results_threads`` defaults to one per core (four to eight).
    """

    def __init__(
        self,
        fleet: FleetConfig,
        sink: ResultSink | None = None,
        cache_dir: Path = Path("camfleet-data/cache"),
        metrics: FleetMetrics | None = None,
        detectors: Mapping[str, Detector] | None = None,
        cameras: Iterable[CameraConfig] | None = None,
        results_threads: int | None = None,
    ) -> None:
        self.fleet = fleet
        self.sink = sink
        self.metrics = metrics if metrics is not None else FleetMetrics()
        self._cache_dir = cache_dir
        self._initial = list(fleet.cameras if cameras is None else cameras)
        self._models: dict[str, ModelConfig] = dict(fleet.models)
        self._detectors: dict[str, Detector] = dict(detectors) if detectors else {}
        self._owned: set[str] = set()  # detectors this engine loaded, and so closes
        self._names: dict[str, dict[int, str]] = {}
        self._lanes: dict[str, ModelLane] = {}
        self._cameras: dict[str, _RunningCamera] = {}
        self._cameras_per_model: Counter[str] = Counter()
        self._intakes: list[IntakeThread] = []
        self._control = threading.RLock()  # serializes start/stop and run-time changes
        self._registry = threading.Lock()  # guards the dicts above for readers (brief holds)
        self._results = ResultsStage(
            results_threads or default_results_threads(), self._handle_result, _RESULTS_QUEUE
        )
        self._latest = LatestFrames(lambda model_id: self._names.get(model_id, {}))
        self._monitor_thread = threading.Thread(
            target=self._monitor_loop, name="monitor", daemon=True
        )
        self._running = threading.Event()

    # -- lifecycle ---------------------------------------------------------------------------

    def start(self) -> None:
        with self._control:
            used = {m for camera in self._initial for m in camera.models}
            self._load_lanes([m for m in self._models if m in used or m in self._detectors])
            self._running.set()
            self._results.start()
            for lane in self._lanes.values():
                lane.start()
            n_intake = max(1, math.ceil(len(self._initial) / _CAMERAS_PER_INTAKE_THREAD))
            for _ in range(n_intake):
                self._new_intake_thread()
            if isinstance(self.sink, CommitReporting):
                self.sink.set_commit_listener(self.metrics.committed_latency)
            for camera in self._initial:
                self._start_camera(camera)
            self._monitor_thread.start()

    def stop(self, drain: bool = True, timeout: float = 10.0) -> None:
        """Stop sources, finish (``drain``) or shed queued frames, flush the sink.

        Every reader is told to stop first and only then joined, so stopping N cameras takes
        about as long as stopping the slowest one, not their sum.
        """
        with self._control:
            if not self._running.is_set():
                return
            readers: list[CameraReader | LatestKeyframe] = [
                reader
                for camera in self._cameras.values()
                for reader in (camera.reader, camera.main_stream)
                if reader is not None
            ]
            for reader in readers:
                reader.stop(timeout=0)
            deadline = time.monotonic() + _READER_STOP_S
            for reader in readers:
                if not reader.stop(timeout=max(0.0, deadline - time.monotonic())):
                    log.warning("camera %r: source did not stop within %g s; leaving it",
                                reader.camera_id, _READER_STOP_S)
            for intake_thread in self._intakes:
                intake_thread.stop()
            for lane in self._lanes.values():
                lane.stop(drain=drain, timeout=timeout)
            self._running.clear()
            self._results.stop(timeout)
            self._monitor_thread.join(2.0)
            self._sync_sources()
            if self.sink is not None:
                self.sink.close()
            for model_id in self._owned:
                self._detectors[model_id].close()

    def __enter__(self) -> SharedEngine:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # -- run-time changes --------------------------------------------------------------------

    def camera_ids(self) -> frozenset[str]:
        with self._registry:
            return frozenset(self._cameras)

    def set_models(self, models: Mapping[str, ModelConfig]) -> None:
        """Register ``models`` and load (and warm up) a lane for every id not loaded yet.

        Lanes of ids already loaded keep running untouched, even when their configuration
        differs (a changed model takes effect when the engine restarts).
        """
        with self._control:
            for model_id, config in models.items():
                if model_id in self._lanes and config != self._models.get(model_id):
                    log.warning("model %r is running; its new configuration applies after a "
                                "restart", model_id)
                    continue
                self._models[model_id] = config
            new = [m for m in models if m not in self._lanes]
            self._load_lanes(new)
            if self._running.is_set():
                for model_id in new:
                    self._lanes[model_id].start()

    def add_camera(self, camera: CameraConfig) -> None:
        """Start ``camera`` alone: its reader, slot, intake entry and analytics state.

        Raises :class:`ConfigError` when the id is already running or a model is unknown.
        """
        with self._control:
            if not self._running.is_set():
                raise ConfigError(f"camera {camera.id!r}: the engine is not running; start it "
                                  "before adding cameras")
            if camera.id in self._cameras:
                raise ConfigError(f"camera {camera.id!r} is already running; use "
                                  "replace_camera to change it")
            self._check_models(camera)
            missing = [m for m in camera.models if m not in self._lanes]
            self._load_lanes(missing)
            for model_id in missing:
                self._lanes[model_id].start()
            if self.sink is not None:
                self.sink.add_camera(camera)
            self._start_camera(camera)

    def remove_camera(self, camera_id: str) -> None:
        """Stop ``camera_id`` alone: its reader is stopped and joined, frames still queued
        for it are discarded, and its open events are closed through the sink."""
        with self._control:
            with self._registry:
                running = self._cameras.pop(camera_id, None)
            if running is None:
                raise ConfigError(f"camera {camera_id!r} is not running (running: "
                                  f"{', '.join(sorted(self._cameras)) or 'none'})")
            running.reader.stop(timeout=0)
            if running.main_stream is not None:
                running.main_stream.stop(timeout=0)
            running.intake_thread.remove(camera_id)
            self._results.unassign(camera_id)
            deadline = time.monotonic() + _READER_STOP_S
            for reader in (running.reader, running.main_stream):
                if reader is not None and not reader.stop(
                    timeout=max(0.0, deadline - time.monotonic())
                ):
                    log.warning("camera %r: source did not stop within %g s; leaving it",
                                camera_id, _READER_STOP_S)
            if self.sink is not None:
                self.sink.remove_camera(camera_id)
            self._latest.drop(camera_id)
            self.metrics.remove_camera(camera_id)
            self._cameras_per_model.subtract(running.config.models)
            self._size_lanes(running.config.models)

    def replace_camera(self, camera: CameraConfig) -> None:
        """Restart one camera with a new configuration (remove, then add)."""
        with self._control:
            self._check_models(camera)  # before the running camera is stopped
            if camera.id in self._cameras:
                self.remove_camera(camera.id)
            self.add_camera(camera)

    def _check_models(self, camera: CameraConfig) -> None:
        unknown = [m for m in camera.models if m not in self._models]
        if unknown:
            raise ConfigError(
                f"camera {camera.id!r}: model {unknown[0]!r} is not registered (models: "
                f"{', '.join(sorted(self._models)) or 'none'}); register it with "
                "set_models first"
            )

    # -- what the API and probes read ----------------------------------------------------------

    def latest_frame_jpeg(self, camera_id: str) -> bytes | None:
        """The camera's latest analysed frame with its boxes, as JPEG; None before the first
        (or for an unknown camera)."""
        return self._latest.jpeg(camera_id)

    def last_progress_age_s(self) -> float:
        """How long the most stalled stage holding work has gone without progress: a
        streaming source with no new frame (beyond two frame periods), an intake thread not
        going round, a lane's batch not finishing, a results thread not handling its queue.
        0.0 when idle or stopped; /healthz compares it with a limit."""
        if not self._running.is_set():
            return 0.0
        now = time.monotonic()
        with self._registry:
            cameras = list(self._cameras.values())
            lanes = list(self._lanes.values())
            intakes = list(self._intakes)
        stalls = [self._results.stall_s()]
        stalls += [lane.heartbeat.stall_s() for lane in lanes]
        stalls += [thread.stall_s() for thread in intakes if len(thread)]
        stalls += [
            now - camera.last_frame_at - 2.0 / camera.config.analyze_fps
            for camera in cameras
            if camera.reader.status.state == "streaming"
        ]
        return max(0.0, *stalls)

    # -- internals ------------------------------------------------------------------------------

    def _load_lanes(self, model_ids: Iterable[str]) -> None:
        runtime = self.fleet.runtime
        max_wait = (
            runtime.max_wait_ms / 1000.0
            if runtime.max_wait_ms is not None
            else default_max_wait_s(runtime.slo_ms)
        )
        wanted = [m for m in dict.fromkeys(model_ids) if m not in self._lanes]
        to_load = [m for m in wanted if m not in self._detectors]
        if to_load:
            fleet = self.fleet.model_copy(update={"models": self._models})
            self._detectors.update(load_fleet_models(fleet, self._cache_dir, model_ids=to_load))
            self._owned.update(to_load)
        for model_id in wanted:
            detector = self._detectors[model_id]
            cfg = self._models[model_id]
            info = getattr(detector, "info", None)
            self._names[model_id] = dict(info.names) if info is not None else {}
            lane = ModelLane(
                model_id,
                detector,
                BatchPolicy(max_batch=cfg.batch_limit, max_wait_s=max_wait),
                slo_s=runtime.slo_ms / 1000.0,
                metrics=self.metrics,
                on_done=self._results.put,
                capacity=self._lane_capacity(
                    model_id, sum(model_id in c.models for c in self._initial)
                ),
                prior_latency=warm_up(detector),
                workers=min(inference_workers(runtime, cfg.provider), detector.in_flight),
            )
            with self._registry:
                self._lanes[model_id] = lane

    def _lane_capacity(self, model_id: str, cameras_using: int) -> int:
        return max(self._models[model_id].batch_limit * 2, cameras_using * 2)

    def _size_lanes(self, model_ids: Iterable[str]) -> None:
        for model_id in model_ids:
            self._lanes[model_id].set_capacity(
                self._lane_capacity(model_id, self._cameras_per_model[model_id])
            )

    def _new_intake_thread(self) -> IntakeThread:
        thread = IntakeThread(f"intake-{len(self._intakes)}")
        with self._registry:
            self._intakes.append(thread)
        if self._running.is_set():
            thread.start()
        return thread

    def _start_camera(self, camera: CameraConfig) -> None:
        if camera.id in self._cameras:
            raise ConfigError(f"camera {camera.id!r} is listed twice; give each camera its "
                              "own id")
        intake_thread = min(self._intakes, key=len)
        if len(intake_thread) >= _CAMERAS_PER_INTAKE_THREAD:
            intake_thread = self._new_intake_thread()
        lanes = [self._lanes[m] for m in camera.models]
        intake = CameraIntake.for_camera(camera, lanes, self.metrics)
        slot = FrameSlot(capacity=self.fleet.runtime.queue_per_camera,
                         wakeup=intake_thread.wakeup)
        self.metrics.add_camera(camera.id)
        self._results.assign(camera.id)
        intake_thread.add(slot, intake)
        reader = CameraReader(camera.id, factory=open_camera(camera), slot=slot)
        main_stream = None
        if camera.detect_source is not None:
            main_stream = LatestKeyframe(
                camera.source, camera.id, hwaccel=camera.hwaccel, loop=camera.loop,
                realtime=camera.realtime,
            )
        with self._registry:
            self._cameras[camera.id] = _RunningCamera(
                camera, reader, slot, intake_thread, started_at=time.monotonic(),
                main_stream=main_stream,
            )
        self._cameras_per_model.update(camera.models)
        self._size_lanes(camera.models)
        if main_stream is not None:  # first: its first keyframe is ready for the first events
            main_stream.start()
        reader.start()

    def _handle_result(self, work: Work, detections: Detections) -> None:
        frame = work.frame
        running = self._cameras.get(frame.camera_id)
        if running is None or frame.captured_at < running.started_at:
            return  # removed, or a frame of the camera's previous run
        if running.main_stream is not None:
            keyframe = running.main_stream.latest()
            if keyframe is not None:
                frame = replace(frame, snapshot_image=keyframe.image)
        if self.sink is not None:
            started = time.monotonic()
            try:
                self.sink.on_result(frame, work.model_id, detections)
            except Exception:
                log.exception("camera %r: result sink failed", frame.camera_id)
            self.metrics.stage("sink", time.monotonic() - started)
        self.metrics.result_latency(frame.camera_id, time.monotonic() - frame.captured_at)
        self._latest.record(frame, work.model_id, detections)

    def _monitor_loop(self) -> None:
        while self._running.is_set():
            self._sync_sources()
            time.sleep(0.25)

    def _sync_sources(self) -> None:
        with self._registry:
            cameras = list(self._cameras.items())
        now = time.monotonic()
        for camera_id, running in cameras:
            status = running.reader.status
            if status.frames_read != running.frames_seen:
                running.frames_seen, running.last_frame_at = status.frames_read, now
            self.metrics.camera_state(camera_id, status.state, status.last_error)
            dropped = running.slot.dropped
            delta = dropped - running.dropped_seen
            if delta:
                self.metrics.count(camera_id, "dropped", delta)
                running.dropped_seen = dropped
