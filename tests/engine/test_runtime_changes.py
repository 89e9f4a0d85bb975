"""Cameras and models change while the shared engine runs: only the changed camera starts or
stops; the others never miss a beat. Real ONNX Runtime (a tiny model), real readers."""

from __future__ import annotations

import time
from pathlib import Path

import cv2
import numpy as np
import pytest
from runtime_helpers import (
    TimingSink,
    camera,
    camera_config,
    tiny_fleet,
    tiny_model,
    wait_until,
)

from camfleet.config import ModelConfig
from camfleet.engine import SharedEngine, TimesliceEngine
from camfleet.engine.latest import LatestFrames
from camfleet.errors import ConfigError
from camfleet.frames import Detections, Frame

FPS = 4.0
PERIOD_S = 1.0 / FPS


def test_adding_and_removing_a_camera_leaves_the_others_running(tmp_path: Path) -> None:
    sink = TimingSink()
    fleet = tiny_fleet(tiny_model(tmp_path), [camera(f"cam{i}", FPS) for i in range(4)])
    engine = SharedEngine(fleet, sink=sink, cache_dir=tmp_path / "cache", results_threads=2)
    engine.start()
    try:
        assert wait_until(lambda: all(len(sink.times(f"cam{i}")) >= 3 for i in range(4)), 20)
        window_start = time.monotonic()
        time.sleep(1.0)
        added_at = time.monotonic()
        engine.add_camera(camera_config("cam4", FPS))
        assert wait_until(lambda: len(sink.times("cam4")) >= 1, 10), "new camera: no frames"
        first_new = sink.times("cam4")[0] - added_at
        engine.remove_camera("cam0")
        removed_at = time.monotonic()
        time.sleep(1.5)
        window_end = time.monotonic()
        assert engine.camera_ids() == frozenset({"cam1", "cam2", "cam3", "cam4"})
    finally:
        engine.stop()
    assert first_new < 10.0
    assert sink.added == ["cam4"] and sink.removed == ["cam0"]
    assert not [t for t in sink.times("cam0") if t > removed_at], "results after removal"
    for camera_id in ("cam1", "cam2", "cam3"):
        times = [t for t in sink.times(camera_id) if window_start <= t <= window_end]
        edges = [window_start, *times, window_end]
        worst_gap = float(np.max(np.diff(edges)))
        assert worst_gap <= 2 * PERIOD_S, f"{camera_id}: a {worst_gap:.2f} s gap"
    snapshot = engine.metrics.snapshot()
    assert "cam0" not in {c.camera_id for c in snapshot.cameras}
    assert engine.metrics.registry.get_sample_value(
        "camfleet_capture_to_result_seconds_count", {"camera": "cam0"}
    ) is None
    assert engine.metrics.registry.get_sample_value(
        "camfleet_capture_to_result_seconds_count", {"camera": "cam4"}
    ) >= 1


def test_an_engine_without_cameras_gets_cameras_and_models_at_run_time(tmp_path: Path) -> None:
    model = tiny_model(tmp_path)
    sink = TimingSink()
    engine = SharedEngine(tiny_fleet(model, []), sink=sink, cache_dir=tmp_path / "cache",
                          cameras=[])
    engine.start()
    try:
        assert engine.camera_ids() == frozenset()
        assert engine.last_progress_age_s() == 0.0
        with pytest.raises(ConfigError, match=r"model 'other' is not registered.*set_models"):
            engine.add_camera(camera_config("late", model="other"))
        engine.set_models({"other": ModelConfig(path=str(model), max_batch=2)})
        engine.add_camera(camera_config("late", model="other"))
        with pytest.raises(ConfigError, match="already running; use replace_camera"):
            engine.add_camera(camera_config("late", model="other"))
        assert wait_until(lambda: len(sink.times("late")) >= 2, 10)
        with pytest.raises(ConfigError, match="model 'nope' is not registered"):
            engine.replace_camera(camera_config("late", model="nope"))
        assert engine.camera_ids() == frozenset({"late"})  # still running, untouched
        assert sink.removed == []
        engine.replace_camera(camera_config("late", fps=2.0, model="tiny"))
        replaced_at = time.monotonic()
        assert wait_until(
            lambda: len([t for t in sink.times("late") if t > replaced_at]) >= 1, 10
        )
        with pytest.raises(ConfigError, match="'ghost' is not running"):
            engine.remove_camera("ghost")
    finally:
        engine.stop()
    assert sink.removed == ["late"] and sink.added == ["late", "late"]


def test_latest_frame_is_an_annotated_jpeg_encoded_once_per_frame(tmp_path: Path) -> None:
    fleet = tiny_fleet(tiny_model(tmp_path), [camera("cam0", FPS)])
    engine = SharedEngine(fleet, cache_dir=tmp_path / "cache")
    assert engine.latest_frame_jpeg("cam0") is None
    engine.start()
    try:
        assert wait_until(lambda: engine.latest_frame_jpeg("cam0") is not None, 10)
        assert engine.latest_frame_jpeg("nope") is None
    finally:
        engine.stop()
    first = engine.latest_frame_jpeg("cam0")  # no newer frame can arrive now
    assert first is not None
    assert engine.latest_frame_jpeg("cam0") is first  # cached, not encoded again
    image = cv2.imdecode(np.frombuffer(first, np.uint8), cv2.IMREAD_COLOR)
    assert image.shape == (180, 320, 3)


def test_latest_frame_draws_the_boxes_and_keeps_only_the_newest_frame() -> None:
    latest = LatestFrames(lambda model_id: {0: "person"})
    grey = np.full((120, 160, 3), 128, np.uint8)
    box = Detections(np.array([[40, 30, 120, 90]], np.float32), np.array([0.9], np.float32),
                     np.array([0], np.int32))
    newer = Frame("cam", 2, captured_at=2.0, image=grey)
    latest.record(newer, "m", Detections.empty())
    latest.record(Frame("cam", 1, captured_at=1.0, image=grey), "m", box)  # late, ignored
    plain = cv2.imdecode(np.frombuffer(latest.jpeg("cam") or b"", np.uint8), cv2.IMREAD_COLOR)
    latest.record(newer, "m", box)
    boxed = cv2.imdecode(np.frombuffer(latest.jpeg("cam") or b"", np.uint8), cv2.IMREAD_COLOR)
    assert np.abs(plain.astype(int) - 128).max() < 10  # nothing drawn
    edge = boxed[30:90, 40].astype(int)  # the box's left edge is drawn in colour
    assert np.abs(edge - 128).max() > 40
    assert np.array_equal(grey, np.full_like(grey, 128))  # the frame itself is untouched
    latest.drop("cam")
    assert latest.jpeg("cam") is None


def test_timeslice_mode_refuses_run_time_changes_with_a_clear_error(tmp_path: Path) -> None:
    engine = TimesliceEngine(tiny_fleet(tiny_model(tmp_path), [camera("cam0")]))
    with pytest.raises(ConfigError, match=r"timeslice cannot add.*runtime\.mode shared"):
        engine.add_camera(camera_config("cam1"))
    with pytest.raises(ConfigError, match="timeslice"):
        engine.remove_camera("cam0")
    assert engine.camera_ids() == frozenset({"cam0"})
