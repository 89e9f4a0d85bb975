"""The real engine: real ONNX Runtime, real decoding, real threads and processes."""

from __future__ import annotations

import time

import pytest

from camfleet.config import parse_fleet
from camfleet.engine import SharedEngine, TimesliceEngine
from camfleet.frames import Detections, Frame
from camfleet.paths import BUNDLED_CLIPS


def fleet(cameras: list[dict[str, object]], **runtime: object) -> object:
    return parse_fleet(
        {
            "models": {"default": {"path": "bundled:fall-yolov8s-dynamic.onnx", "max_batch": 4}},
            "cameras": cameras,
            "runtime": {"slo_ms": 20000, "threads": 2, **runtime},
        }
    )


class RecordingSink:
    def __init__(self) -> None:
        self.results: list[tuple[str, str, int]] = []
        self.closed = False

    def on_result(self, frame: Frame, model_id: str, detections: Detections) -> None:
        self.results.append((frame.camera_id, model_id, len(detections)))

    def close(self) -> None:
        self.closed = True


def wait_until(condition: object, timeout_s: float) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline and not condition():  # type: ignore[operator]
        time.sleep(0.2)


def files_and_synthetic(n_files: int, n_synthetic: int, fps: float) -> list[dict[str, object]]:
    cameras: list[dict[str, object]] = [
        {"id": f"file{i}", "source": str(BUNDLED_CLIPS[i % 2]), "analyze_fps": fps,
         "motion": {"enabled": False}}
        for i in range(n_files)
    ]
    cameras += [
        {"id": f"synth{i}", "source": "synthetic:640x360@10", "analyze_fps": fps,
         "motion": {"enabled": False}}
        for i in range(n_synthetic)
    ]
    return cameras


def test_eight_cameras_all_analysed_with_cross_camera_batches(tmp_path):
    # The SLO the architecture sets (500 ms), on a model small enough for the 2-core CPU
    # (imgsz 320) with batches of up to 4: frames of cameras captured together are batched.
    config = parse_fleet(
        {
            "models": {"default": {"path": "bundled:fall-yolov8s-dynamic.onnx", "max_batch": 4,
                                   "imgsz": 320}},
            "cameras": files_and_synthetic(4, 4, fps=2.0),
            "runtime": {"slo_ms": 500, "threads": 1},
        }
    )
    sink = RecordingSink()
    engine = SharedEngine(config, sink=sink, cache_dir=tmp_path)
    engine.start()
    try:
        wait_until(lambda: all(c.analysed >= 4 for c in engine.metrics.snapshot().cameras), 60)
    finally:
        engine.stop(drain=True)
    snapshot = engine.metrics.snapshot()
    analysed = {c.camera_id: c.analysed for c in snapshot.cameras}
    assert len(analysed) == 8
    assert all(n >= 1 for n in analysed.values()), analysed
    assert snapshot.latency_samples >= 8
    assert snapshot.latency_p50_ms > 0
    # Cross-camera batches really form: with max_batch 4, more than one frame per run.
    assert snapshot.mean_batch > 1.0, snapshot.mean_batch
    assert sink.closed
    assert {cam for cam, _, _ in sink.results} == set(analysed)
    # the bundled carphone clip always shows a person
    assert any(n > 0 for cam, _, n in sink.results if cam in ("file1", "file3"))
    exposition = engine.metrics.registry.get_sample_value(
        "camfleet_capture_to_result_seconds_count", {"camera": "file0"}
    )
    assert exposition is not None and exposition >= 1


def test_dead_source_does_not_slow_the_others(tmp_path):
    cameras = files_and_synthetic(0, 2, fps=2.0)
    healthy = SharedEngine(fleet(cameras), cache_dir=tmp_path / "a")
    with_dead = SharedEngine(
        fleet([*cameras, {"id": "dead", "source": "rtsp://127.0.0.1:9/none", "analyze_fps": 2}]),
        cache_dir=tmp_path / "b",
    )
    results = {}
    for name, engine in (("healthy", healthy), ("with_dead", with_dead)):
        engine.start()
        try:
            time.sleep(1.0)
            engine.metrics.reset_window()
            time.sleep(4.0)
            results[name] = engine.metrics.snapshot()
        finally:
            engine.stop(drain=False)
    alive = {c.camera_id: c for c in results["with_dead"].cameras if c.camera_id != "dead"}
    baseline = {c.camera_id: c for c in results["healthy"].cameras}
    for camera_id, camera in alive.items():
        # frames keep arriving at the camera's rate (2 fps for 4 s) ...
        assert camera.sampled >= 6, (camera_id, camera)
        # ... and get analysed about as often as without the dead camera
        assert camera.analysed >= 0.7 * baseline[camera_id].analysed - 1, (alive, baseline)
    dead = next(c for c in results["with_dead"].cameras if c.camera_id == "dead")
    assert dead.analysed == 0
    assert dead.last_error is not None and "dead" in dead.last_error


def test_roi_detections_come_back_in_frame_coordinates(tmp_path):
    cameras = [{"id": "car", "source": str(BUNDLED_CLIPS[1]), "analyze_fps": 2.0,
                "roi": [0.25, 0.0, 1.0, 1.0], "motion": {"enabled": False}}]
    sink = RecordingBoxes()
    engine = SharedEngine(fleet(cameras), sink=sink, cache_dir=tmp_path)
    engine.start()
    try:
        wait_until(lambda: len(sink.boxes) >= 3, 60)
    finally:
        engine.stop()
    assert sink.boxes, "no detections in the carphone clip"
    xmin = min(float(box[0]) for box in sink.boxes)
    assert xmin >= 176 * 0.25 - 1  # nothing left of the ROI, in full-frame pixels


class RecordingBoxes(RecordingSink):
    def __init__(self) -> None:
        super().__init__()
        self.boxes: list[object] = []

    def on_result(self, frame: Frame, model_id: str, detections: Detections) -> None:
        self.boxes.extend(detections.xyxy.tolist())


@pytest.mark.timeout(180)
def test_timeslice_workers_report_into_the_same_metrics(tmp_path):
    engine = TimesliceEngine(fleet(files_and_synthetic(1, 1, fps=1.0)), cache_dir=tmp_path,
                             threads=1)
    engine.start()
    try:
        wait_until(lambda: all(c.analysed >= 2 for c in engine.metrics.snapshot().cameras), 60)
    finally:
        engine.stop()
    snapshot = engine.metrics.snapshot()
    assert {c.camera_id for c in snapshot.cameras} == {"file0", "synth0"}
    assert all(c.analysed >= 1 for c in snapshot.cameras), snapshot.cameras
    assert snapshot.stage_p50_ms["inference"] > 0
    assert snapshot.mean_batch == 1.0
