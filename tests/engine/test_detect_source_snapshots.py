"""A camera analysed on its low-resolution ``detect_source`` stores snapshots from its main
stream: the real engine, real decoding of the main stream's keyframes, a real SQLite store."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
from runtime_helpers import tiny_model, wait_until
from sqlalchemy import select

from camfleet.config import parse_fleet
from camfleet.engine import SharedEngine
from camfleet.paths import BUNDLED_CLIPS
from camfleet.store.database import open_database
from camfleet.store.location import StoreLocation
from camfleet.store.schema import EventRow
from camfleet.store.snapshot_store import LocalSnapshotStore
from camfleet.wiring import StoreSinkFactory


def test_snapshots_come_from_the_main_stream_while_analysis_runs_on_the_substream(
    tmp_path: Path,
) -> None:
    main = BUNDLED_CLIPS[0]  # bikes.mp4, 640x272
    fleet = parse_fleet({
        "models": {"tiny": {"path": str(tiny_model(tmp_path))}},
        "cameras": [{
            "id": "gate", "source": str(main), "detect_source": "synthetic:160x68@10",
            "analyze_fps": 4, "models": ["tiny"], "motion": {"enabled": False},
            "rules": [{"name": "seen", "type": "presence", "min_frames": 1}],
        }],
        "runtime": {"slo_ms": 2000, "threads": 1, "inference_workers": 1},
    })
    location = StoreLocation(None, tmp_path / "data")
    sink = StoreSinkFactory(location, {"tiny": {0: "a", 1: "b"}})(fleet)
    engine = SharedEngine(fleet, sink=sink, cache_dir=tmp_path / "cache")
    engine.start()
    try:
        frame = None
        assert wait_until(lambda: engine.latest_frame_jpeg("gate") is not None, 20)
        frame = engine.latest_frame_jpeg("gate")
    finally:
        engine.stop(drain=True)  # closes the open event: its snapshot is written
    assert frame is not None
    analysed = cv2.imdecode(np.frombuffer(frame, np.uint8), cv2.IMREAD_COLOR)
    assert analysed.shape[:2] == (68, 160)  # the live tile shows what was analysed
    db = open_database(None, location.data_dir)
    with db.engine.connect() as connection:
        paths = [row[0] for row in connection.execute(select(EventRow.snapshot_path))]
    db.dispose()
    assert paths and all(paths)
    snapshot = LocalSnapshotStore(location.snapshots_dir).get(paths[0])
    stored = cv2.imdecode(np.frombuffer(snapshot, np.uint8), cv2.IMREAD_COLOR)
    assert stored.shape[:2] == (272, 640)  # the event shows the main stream
