"""A real service on a loopback port for the API tests: SQLite in a temp dir, the demo fleet
imported, a read-write and a read-only key, and events with real JPEG snapshots."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import cv2
import httpx
import numpy as np
from sqlalchemy import insert

from camfleet.api.app import create_app
from camfleet.api.server import ServiceServer
from camfleet.api.service import EngineView, Service
from camfleet.api.snapshots import SnapshotReader
from camfleet.commands._service_db import open_service_db
from camfleet.commands.demo import demo_fleet
from camfleet.control.apikeys import ApiKeyStore
from camfleet.control.repository import FleetRepository, model_class_names
from camfleet.engine.metrics import FleetMetrics
from camfleet.store.location import snapshots_dir
from camfleet.store.schema import EventRow
from camfleet.store.snapshot_store import LocalSnapshotStore, SnapshotStore

__all__ = ["FramesOnly", "Running", "insert_events", "jpeg", "running_service"]


def jpeg(width: int = 64, height: int = 48, value: int = 90) -> bytes:
    image = np.full((height, width, 3), value, dtype=np.uint8)
    ok, encoded = cv2.imencode(".jpg", image)
    assert ok
    return bytes(encoded)


class FramesOnly:
    """The engine calls the API reads, answering frames for the given cameras: for the API's
    own tests (the real engine's run-time calls come from the engine branch)."""

    def __init__(self, cameras: frozenset[str]) -> None:
        self.metrics = FleetMetrics()
        self._cameras = cameras
        self.frame = jpeg(32, 24)

    def camera_ids(self) -> frozenset[str]:
        return self._cameras

    def latest_frame_jpeg(self, camera_id: str) -> bytes | None:
        return self.frame if camera_id in self._cameras else None

    def last_progress_age_s(self) -> float:
        return 0.1


@dataclass
class Running:
    url: str
    key: str
    read_only_key: str
    service: Service
    data_dir: Path

    def client(self, key: str | None = None) -> httpx.Client:
        token = self.key if key is None else key
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        return httpx.Client(base_url=self.url, headers=headers, timeout=30.0)


@contextmanager
def running_service(
    data_dir: Path, engine: EngineView | None = None, snapshots: SnapshotStore | None = None
) -> Iterator[Running]:
    db, location = open_service_db(None, data_dir)
    fleet = FleetRepository(db, model_class_names)
    fleet.import_fleet(demo_fleet())
    keys = ApiKeyStore(db)
    _, key = keys.create("admin")
    _, read_only = keys.create("viewer", read_only=True)
    service = Service(
        db=db, fleet=fleet, keys=keys, engine=engine,
        read_snapshot=SnapshotReader(snapshots or LocalSnapshotStore(location.snapshots_dir)),
    )
    if engine is not None:
        service.engine_started.set()
    server = ServiceServer(create_app(service), "127.0.0.1", 0)
    server.start()
    try:
        yield Running(server.url, key, read_only, service, data_dir)
    finally:
        server.stop()
        db.dispose()


def insert_events(
    running: Running, count: int, camera: str = "bikes", rule: str = "people",
    class_name: str = "Normal", start: datetime | None = None,
) -> list[str]:
    """``count`` events one second apart (newest last), each with a snapshot file."""
    start = start or datetime(2026, 11, 1, 12, 0, tzinfo=UTC)
    root = snapshots_dir(running.data_dir).resolve()
    rows = []
    for index in range(count):
        event_id = f"{camera}-{rule}-{index:04d}"
        path = root / camera / f"{event_id}.jpg"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(jpeg(value=index % 250))
        started = start + timedelta(seconds=index)
        rows.append({
            "event_id": event_id, "camera_id": camera, "model_id": "default",
            "rule_id": f"{camera}/{rule}", "kind": "presence", "class_name": class_name,
            "region": None, "track_ids": [index], "started_at": started,
            "ended_at": started + timedelta(seconds=3), "max_confidence": 0.8,
            "attributes": {}, "snapshot_path": path.as_uri(),
        })
    db = running.service.db
    with db.engine.begin() as connection:
        connection.execute(insert(EventRow), rows)
    return [row["event_id"] for row in rows]
