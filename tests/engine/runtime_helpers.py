"""Helpers for the run-time engine tests: a tiny real model, fleets of synthetic cameras, and a
sink that records when each camera's results arrive."""

from __future__ import annotations

import threading
import time
from collections import defaultdict
from collections.abc import Callable
from pathlib import Path
from typing import Any

import onnx
from modelkit import tiny_detect_model

from camfleet.config import CameraConfig, FleetConfig, parse_fleet
from camfleet.frames import Detections, Frame


def tiny_model(directory: Path) -> Path:
    path = directory / "tiny.onnx"
    if not path.is_file():
        onnx.save(tiny_detect_model(), path)
    return path


def camera(camera_id: str, fps: float = 4.0, model: str = "tiny") -> dict[str, Any]:
    return {"id": camera_id, "source": "synthetic:320x180@8", "analyze_fps": fps,
            "models": [model], "motion": {"enabled": False}}


def tiny_fleet(model: Path, cameras: list[dict[str, Any]], slo_ms: float = 2000.0) -> FleetConfig:
    return parse_fleet(
        {
            "models": {"tiny": {"path": str(model), "max_batch": 4}},
            "cameras": cameras or [camera("placeholder")],
            "runtime": {"slo_ms": slo_ms, "threads": 1, "inference_workers": 1},
        },
        origin="test",
    )


def camera_config(camera_id: str, fps: float = 4.0, model: str = "tiny") -> CameraConfig:
    return CameraConfig.model_validate(camera(camera_id, fps, model))


class TimingSink:
    """Records the arrival time of every result, by camera, and the run-time calls."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.arrivals: dict[str, list[float]] = defaultdict(list)
        self.added: list[str] = []
        self.removed: list[str] = []
        self.closed = False

    def on_result(self, frame: Frame, model_id: str, detections: Detections) -> None:
        with self._lock:
            self.arrivals[frame.camera_id].append(time.monotonic())

    def add_camera(self, camera: CameraConfig) -> None:
        self.added.append(camera.id)

    def remove_camera(self, camera_id: str) -> None:
        self.removed.append(camera_id)

    def close(self) -> None:
        self.closed = True

    def times(self, camera_id: str) -> list[float]:
        with self._lock:
            return list(self.arrivals[camera_id])


def wait_until(condition: Callable[[], bool], timeout_s: float) -> bool:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.05)
    return condition()
