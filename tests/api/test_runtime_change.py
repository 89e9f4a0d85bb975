"""Cameras changed through the API reach the in-process engine one at a time: with 4 cameras
running, adding a 5th and removing one never stalls the 3 untouched ones (no gap over 2 frame
periods between their analysed frames) and the new one produces frames within 10 s.

Needs the engine's run-time calls (INTERFACES.md "Engine at run time": ``add_camera`` and
friends, built on the ``engine`` branch); skipped with that reason where they are missing.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import cast

import modelkit  # tests/model: tiny YOLO-shaped graphs
import onnx
import pytest

from camfleet.api.app import create_app
from camfleet.api.server import ServiceServer
from camfleet.api.service import EngineView, Service
from camfleet.api.snapshots import SnapshotReader
from camfleet.commands._service_db import open_service_db
from camfleet.config import FleetConfig
from camfleet.control.apikeys import ApiKeyStore
from camfleet.control.embedded import start_embedded_engine
from camfleet.control.repository import FleetRepository, model_class_names
from camfleet.engine.shared import SharedEngine
from camfleet.store.snapshot_store import LocalSnapshotStore

from .helpers import Running

pytestmark = pytest.mark.skipif(
    not hasattr(SharedEngine, "add_camera"),
    reason="needs SharedEngine.add_camera/remove_camera (INTERFACES.md; the engine branch)",
)

FPS = 5.0
PERIOD_S = 1.0 / FPS


def _camera(camera_id: str) -> dict[str, object]:
    return {"id": camera_id, "source": "synthetic:64x48@10", "analyze_fps": FPS,
            "motion": {"enabled": False}}


class AnalysedWatch:
    """Polls the engine's per-camera analysed counters; records the longest gap per camera."""

    def __init__(self, engine: EngineView) -> None:
        self._engine = engine
        self.last_seen: dict[str, float] = {}
        self.first_seen: dict[str, float] = {}
        self.worst_gap: dict[str, float] = {}
        self._counts: dict[str, int] = {}
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(5)

    def _run(self) -> None:
        while not self._stop.wait(0.02):
            now = time.monotonic()
            for camera in self._engine.metrics.snapshot().cameras:
                if camera.analysed > self._counts.get(camera.camera_id, 0):
                    self._counts[camera.camera_id] = camera.analysed
                    previous = self.last_seen.get(camera.camera_id)
                    if previous is not None:
                        gap = now - previous
                        self.worst_gap[camera.camera_id] = max(
                            gap, self.worst_gap.get(camera.camera_id, 0.0))
                    else:
                        self.first_seen[camera.camera_id] = now
                    self.last_seen[camera.camera_id] = now


@pytest.fixture
def with_engine(tmp_path: Path) -> Iterator[Running]:
    model = tmp_path / "tiny.onnx"
    onnx.save(modelkit.tiny_detect_model(batch="batch"), model)
    db, location = open_service_db(None, tmp_path / "data")
    fleet = FleetRepository(db, model_class_names)
    fleet.import_fleet(FleetConfig.model_validate({
        "models": {"default": {"path": str(model)}},
        "cameras": [_camera(f"cam{i}") for i in range(4)],
    }))
    keys = ApiKeyStore(db)
    _, key = keys.create("admin")
    embedded = start_embedded_engine(fleet, location, model_class_names, interval_s=0.2)
    service = Service(db=db, fleet=fleet, keys=keys, engine=cast(EngineView, embedded.engine),
                      reconciler=embedded.reconciler,
                      read_snapshot=SnapshotReader(LocalSnapshotStore(location.snapshots_dir)))
    service.engine_started.set()
    server = ServiceServer(create_app(service), "127.0.0.1", 0)
    server.start()
    try:
        yield Running(server.url, key, key, service, tmp_path / "data")
    finally:
        server.stop()
        embedded.stop()
        db.dispose()


def test_adding_and_removing_a_camera_leaves_the_others_running(with_engine: Running) -> None:
    api = with_engine
    engine = api.service.engine
    assert engine is not None
    watch = AnalysedWatch(engine)
    watch.start()
    try:
        deadline = time.monotonic() + 20
        while len(watch.last_seen) < 4 and time.monotonic() < deadline:
            time.sleep(0.1)
        assert set(watch.last_seen) == {f"cam{i}" for i in range(4)}
        time.sleep(2.0)
        watch.worst_gap.clear()  # measure from steady state, around the changes
        with api.client() as client:
            added_at = time.monotonic()
            assert client.post("/api/v1/cameras", json=_camera("cam4")).status_code == 201
            assert client.delete("/api/v1/cameras/cam3").status_code == 204
            while "cam4" not in watch.first_seen and time.monotonic() < added_at + 10:
                time.sleep(0.05)
            time.sleep(3.0)
            stats = {c["camera_id"]: c for c in client.get("/api/v1/stats").json()["cameras"]}
            frame = client.get("/api/v1/cameras/cam4/frame.jpg")
    finally:
        watch.stop()
    assert "cam4" in watch.first_seen and watch.first_seen["cam4"] - added_at < 10.0
    assert engine.camera_ids() == frozenset({"cam0", "cam1", "cam2", "cam4"})
    for camera_id in ("cam0", "cam1", "cam2"):
        assert watch.worst_gap[camera_id] <= 2 * PERIOD_S + 0.05, (camera_id, watch.worst_gap)
    assert set(stats) == {"cam0", "cam1", "cam2", "cam4"}
    assert stats["cam4"]["state"] == "streaming"
    assert frame.status_code == 200 and frame.content[:2] == b"\xff\xd8"
