"""The result sink at run time: cameras added and removed, commit markers, the engine wiring
its capture -> committed latency to a sink that reports commits."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from runtime_helpers import camera, tiny_fleet, tiny_model, wait_until

from camfleet.analytics.pipeline import AnalyticsSink
from camfleet.config import CameraConfig, FleetConfig, parse_fleet
from camfleet.engine import SharedEngine
from camfleet.errors import ConfigError
from camfleet.events import CommitListener, CountDelta, Event
from camfleet.frames import Detections, Frame
from camfleet.store.writer import WriterStats
from camfleet.wiring import StoredAnalyticsSink

NAMES = {0: "Normal", 1: "Fall"}
FALLS = {"name": "falls", "type": "presence", "classes": ["Fall"], "min_frames": 2}
HOOK = {"url": "https://example.invalid/hook"}


def fleet_with(*cameras: dict[str, Any]) -> FleetConfig:
    return parse_fleet({"cameras": list(cameras)})


def cam(camera_id: str, **extra: Any) -> dict[str, Any]:
    return {"id": camera_id, "source": "clip.mp4", "rules": [FALLS], **extra}


def fall(camera_id: str, seq: int) -> tuple[Frame, Detections]:
    frame = Frame(camera_id, seq, float(seq), np.zeros((100, 100, 3), np.uint8),
                  wall_time=1_700_000_000.0 + seq)
    found = Detections(np.array([[10, 10, 40, 80]], np.float32), np.array([0.9], np.float32),
                       np.array([1], np.int32))
    return frame, found


class FakeWriter:
    """What StoredAnalyticsSink needs of a StoreWriter, recorded."""

    def __init__(self) -> None:
        self.events: list[Event] = []
        self.markers: list[tuple[str, float]] = []
        self.listener: CommitListener | None = None
        self.webhooks: list[dict[str, Any]] = []
        self.camera_rows: list[list[str]] = []

    def put_event(self, event: Event) -> None:
        self.events.append(event)

    def put_counts(self, deltas: Sequence[CountDelta]) -> None:
        pass

    def put_marker(self, camera_id: str, captured_at: float) -> None:
        self.markers.append((camera_id, captured_at))
        if self.listener is not None:
            self.listener(camera_id, 0.25)

    def set_commit_listener(self, listener: CommitListener | None) -> None:
        self.listener = listener

    def set_webhooks(self, webhooks_by_rule: Mapping[str, Any]) -> None:
        self.webhooks.append(dict(webhooks_by_rule))

    def upsert_cameras_models(self, fleet: FleetConfig) -> None:
        self.camera_rows.append([c.id for c in fleet.cameras])

    def close(self) -> None:
        pass

    @property
    def stats(self) -> WriterStats:
        return WriterStats(0, 0, 0, 0, 0, None, 0, 0)


def test_added_camera_runs_its_rules_and_removal_closes_its_open_events() -> None:
    writer = FakeWriter()
    sink = AnalyticsSink(fleet_with(cam("a")), {"default": NAMES}, writer)
    sink.add_camera(CameraConfig.model_validate(cam("b")))
    for seq in range(3):
        frame, found = fall("b", seq)
        sink.on_result(frame, "default", found)
    assert [(e.camera_id, e.ended_at) for e in writer.events] == [("b", None)]
    sink.remove_camera("b")
    opened, closed = writer.events
    assert closed.event_id == opened.event_id and closed.ended_at is not None
    frame, found = fall("b", 9)
    sink.on_result(frame, "default", found)  # a late frame of a removed camera: ignored
    assert len(writer.events) == 2
    sink.close()
    assert len(writer.events) == 2  # camera "a" had nothing open


def test_adding_a_camera_whose_rule_names_an_unknown_class_is_refused() -> None:
    writer = FakeWriter()
    sink = AnalyticsSink(fleet_with(cam("a")), {"default": NAMES}, writer, cameras=[])
    bad = {**FALLS, "classes": ["Forklift"]}
    with pytest.raises(ConfigError, match="'Forklift' is not a class of model 'default'"):
        sink.add_camera(CameraConfig.model_validate(cam("b", rules=[bad])))
    frame, found = fall("b", 0)
    sink.on_result(frame, "default", found)
    frame, found = fall("b", 1)
    sink.on_result(frame, "default", found)
    assert writer.events == []


def test_stored_sink_reports_commits_to_its_listener_and_publishes_new_rules() -> None:
    writer = FakeWriter()
    fleet = fleet_with(cam("a"))
    analytics = AnalyticsSink(fleet, {"default": NAMES}, writer)
    sink = StoredAnalyticsSink(analytics, writer, fleet)  # type: ignore[arg-type]
    committed: list[tuple[str, float]] = []
    sink.set_commit_listener(lambda camera_id, seconds: committed.append((camera_id, seconds)))
    frame, found = fall("a", 0)
    sink.on_result(frame, "default", found)
    assert writer.markers == [("a", 0.0)] and committed == [("a", 0.25)]
    hooked = {**FALLS, "webhooks": [HOOK]}
    sink.add_camera(CameraConfig.model_validate(cam("b", rules=[hooked])))
    assert writer.camera_rows[-1] == ["a", "b"]
    assert [hooks[0].url for hooks in writer.webhooks[-1].values()] == [HOOK["url"]]
    sink.remove_camera("b")
    assert writer.camera_rows[-1] == ["a"] and writer.webhooks[-1] == {}


class SilentWriter(FakeWriter):
    """A writer whose commits are never reported (or whose markers were lost)."""

    def put_marker(self, camera_id: str, captured_at: float) -> None:
        self.markers.append((camera_id, captured_at))


def test_a_camera_has_one_marker_waiting_at_most_until_it_times_out(clock) -> None:
    writer = SilentWriter()
    fleet = fleet_with(cam("a"))
    analytics = AnalyticsSink(fleet, {"default": NAMES}, writer)
    sink = StoredAnalyticsSink(analytics, writer, fleet, clock=clock,  # type: ignore[arg-type]
                               marker_timeout_s=30.0)
    for seq in range(5):
        frame, found = fall("a", seq)
        sink.on_result(frame, "default", found)
        clock.advance(1.0)
    assert writer.markers == [("a", 0.0)]  # the buffer is not flooded while nothing commits
    clock.advance(30.0)
    frame, found = fall("a", 5)
    sink.on_result(frame, "default", found)
    assert writer.markers == [("a", 0.0), ("a", 5.0)]
    assert writer.listener is not None
    writer.listener("a", 2.0)  # committed: the next frame queues a marker again
    frame, found = fall("a", 6)
    sink.on_result(frame, "default", found)
    assert writer.markers[-1] == ("a", 6.0)


class CommitNow:
    """A sink whose records "commit" the moment it has them."""

    def __init__(self) -> None:
        self.listener: CommitListener | None = None

    def set_commit_listener(self, listener: CommitListener | None) -> None:
        self.listener = listener

    def on_result(self, frame: Frame, model_id: str, detections: Detections) -> None:
        assert self.listener is not None
        self.listener(frame.camera_id, 0.5)

    def add_camera(self, camera: CameraConfig) -> None: ...

    def remove_camera(self, camera_id: str) -> None: ...

    def close(self) -> None: ...


def test_engine_wires_capture_to_committed_latency_to_a_reporting_sink(tmp_path: Path) -> None:
    engine = SharedEngine(tiny_fleet(tiny_model(tmp_path), [camera("cam0")]), sink=CommitNow(),
                          cache_dir=tmp_path / "cache")
    engine.start()
    try:
        assert wait_until(lambda: engine.metrics.snapshot().committed_samples >= 2, 10)
    finally:
        engine.stop()
    (snapshot_camera,) = engine.metrics.snapshot().cameras
    assert snapshot_camera.committed_p50_ms == 500.0
    assert snapshot_camera.p50_ms < 500.0


def test_capture_to_committed_is_measured_through_the_real_store(tmp_path: Path) -> None:
    from camfleet.store.location import StoreLocation
    from camfleet.wiring import StoreSinkFactory

    fleet = tiny_fleet(tiny_model(tmp_path), [camera("cam0"), camera("cam1")])
    sink = StoreSinkFactory(StoreLocation(None, tmp_path / "data"), {"tiny": {0: "a", 1: "b"}})(
        fleet
    )
    engine = SharedEngine(fleet, sink=sink, cache_dir=tmp_path / "cache")
    engine.start()
    try:
        assert wait_until(lambda: engine.metrics.snapshot().committed_samples >= 4, 20)
    finally:
        engine.stop()
    snapshot = engine.metrics.snapshot()
    # a commit comes after the result was handed over, in the writer's next batch
    assert snapshot.committed_p50_ms > snapshot.latency_p50_ms
    assert engine.metrics.registry.get_sample_value(
        "camfleet_capture_to_committed_seconds_count", {"camera": "cam0"}
    ) >= 1
