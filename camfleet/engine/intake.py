"""Intake: from a camera's frame slot to the model lanes, through the motion gate and ROI.

One intake thread serves many cameras: every camera's :class:`FrameSlot` shares the thread's
wake-up event, so the thread sleeps until some camera has a frame.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from camfleet.config import CameraConfig
from camfleet.engine.gate import MotionGate
from camfleet.engine.lane import ModelLane
from camfleet.engine.metrics import FleetMetrics
from camfleet.engine.work import Work, crop_to_roi
from camfleet.frames import Frame
from camfleet.sources import FrameSlot

__all__ = ["CameraIntake", "IntakeThread"]

log = logging.getLogger(__name__)


@dataclass(slots=True)
class CameraIntake:
    """Gate, crop and fan one camera's frames out to its models' lanes."""

    camera: CameraConfig
    lanes: Sequence[ModelLane]
    gate: MotionGate
    metrics: FleetMetrics
    clock: Callable[[], float] = time.monotonic

    @classmethod
    def for_camera(
        cls, camera: CameraConfig, lanes: Sequence[ModelLane], metrics: FleetMetrics
    ) -> CameraIntake:
        gate = MotionGate(
            sensitivity=camera.motion.sensitivity,
            keepalive_s=camera.motion.keepalive_s,
            enabled=camera.motion.enabled,
        )
        return cls(camera, lanes, gate, metrics)

    def handle(self, frame: Frame) -> None:
        camera_id = self.camera.id
        self.metrics.count(camera_id, "sampled")
        started = self.clock()
        image, offset = crop_to_roi(frame.image, self.camera.roi)
        decision = self.gate.decide(image, frame.captured_at)
        self.metrics.stage("gate", self.clock() - started)
        if not decision.analyse:
            self.metrics.count(camera_id, "gated")
            return
        for lane in self.lanes:
            lane.offer(Work(frame, lane.model_id, image, offset))


class IntakeThread:
    """Drains a set of cameras' slots whenever any of them receives a frame.

    Cameras are added and removed while it runs; the loop works on a copy of the set taken
    at each wake-up, so a change never waits for (or stalls) the other cameras.
    """

    def __init__(self, name: str) -> None:
        self.wakeup = threading.Event()
        self._lock = threading.Lock()
        self._pairs: dict[str, tuple[FrameSlot, CameraIntake]] = {}
        self._running = False
        self._last_loop = time.monotonic()
        self._thread = threading.Thread(target=self._loop, name=name, daemon=True)

    def add(self, slot: FrameSlot, intake: CameraIntake) -> None:
        with self._lock:
            self._pairs[intake.camera.id] = (slot, intake)
        self.wakeup.set()

    def remove(self, camera_id: str) -> None:
        """Stop serving ``camera_id``; frames left in its slot are discarded."""
        with self._lock:
            self._pairs.pop(camera_id, None)

    def __len__(self) -> int:
        with self._lock:
            return len(self._pairs)

    def start(self) -> None:
        self._running = True
        self._thread.start()

    def stop(self, timeout: float = 5.0) -> None:
        self._running = False
        self.wakeup.set()
        if self._thread.is_alive():
            self._thread.join(timeout)

    def stall_s(self) -> float:
        """Seconds since the loop last went round (it wakes at least every 0.1 s)."""
        if not self._thread.is_alive():
            return 0.0
        return max(0.0, time.monotonic() - self._last_loop)

    def _loop(self) -> None:
        while self._running:
            self._last_loop = time.monotonic()
            self.wakeup.wait(timeout=0.1)
            self.wakeup.clear()
            with self._lock:
                pairs = tuple(self._pairs.values())
            for slot, intake in pairs:
                while (frame := slot.get_nowait()) is not None:
                    try:
                        intake.handle(frame)
                    except Exception:
                        log.exception("camera %r: intake failed for frame %d", intake.camera.id,
                                      frame.seq)
