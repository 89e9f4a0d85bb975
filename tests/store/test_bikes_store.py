"""End to end into the store: ``bikes.mp4`` decoded for real, the bundled model, ByteTrack and
the rules (analytics), then the real writer into SQLite and PostgreSQL. A line across the road
yields crossing counts > 0, and a second identical run into a fresh store stores the same rows.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import av
import numpy as np
import pytest
from sqlalchemy import select

from camfleet.analytics.pipeline import AnalyticsSink
from camfleet.config import parse_fleet
from camfleet.frames import Detections, Frame
from camfleet.model.detector import Detector
from camfleet.paths import ASSETS_DIR, BUNDLED_MODEL
from camfleet.store.database import Database
from camfleet.store.queries import count_totals, list_events
from camfleet.store.schema import CountRow
from camfleet.store.writer import StoreWriter

from .helpers import T0, local_file

SAMPLE_EVERY = 5  # the 25 fps clip analysed at 5 fps
FLEET = parse_fleet(
    {
        "cameras": [
            {
                "id": "bikes",
                "source": "bundled:bikes.mp4",
                "analyze_fps": 25 / SAMPLE_EVERY,
                "lines": [{"name": "road", "points": [[0.7, 1.0], [0.7, 0.0]], "in_side": "right"}],
                "rules": [
                    {"name": "crossings", "type": "line_crossing", "line": "road"},
                    {"name": "people", "type": "presence", "min_frames": 2},
                ],
            }
        ]
    }
)

Clip = tuple[list[tuple[Frame, Detections]], dict[int, str]]


@pytest.fixture(scope="module")
def clip(tmp_path_factory: pytest.TempPathFactory) -> Clip:
    """Detections for every 5th frame of the clip, computed once for the module."""
    cache = tmp_path_factory.mktemp("ort-cache")
    with (
        Detector.load(BUNDLED_MODEL, provider="cpu", conf=0.25, threads=2, cache_dir=cache) as det,
        av.open(str(ASSETS_DIR / "bikes.mp4")) as container,
    ):
        results = []
        for index, picture in enumerate(container.decode(video=0)):
            if index % SAMPLE_EVERY:
                continue
            image = np.asarray(picture.to_ndarray(format="bgr24"), dtype=np.uint8)
            frame = Frame("bikes", index, index / 25, image, wall_time=T0 + index / 25)
            results.append((frame, det.detect([image])[0]))
        return results, dict(det.info.names)


def _run_into(db: Database, snapshots: Path, clip: Clip) -> StoreWriter:
    results, names = clip
    writer = StoreWriter(db, snapshots, {}, flush_interval_s=0.02)
    writer.upsert_cameras_models(FLEET)
    writer.start()
    sink = AnalyticsSink(FLEET, {"default": names}, writer)
    for frame, detections in results:
        sink.on_result(frame, "default", detections)
    sink.close()
    writer.close()
    return writer


def _stored(db: Database) -> tuple[list[tuple[object, ...]], list[tuple[object, ...]]]:
    with db.engine.connect() as connection:
        counts = connection.execute(
            select(
                CountRow.minute,
                CountRow.region,
                CountRow.class_name,
                CountRow.direction,
                CountRow.count,
            ).order_by(CountRow.minute, CountRow.class_name, CountRow.direction)
        ).all()
    events = [
        (e.event_id, e.kind, e.started_at, e.ended_at, round(e.max_confidence, 6))
        for e in list_events(db, limit=1000)
    ]
    return [tuple(c) for c in counts], sorted(events)


def test_line_counts_are_stored_and_repeat_exactly(
    clip: Clip, db_url: str, open_db: Callable[..., Database], tmp_path: Path
) -> None:
    first = open_db(db_url)
    writer = _run_into(first, tmp_path / "snaps-1", clip)
    assert writer.stats.dropped == 0

    totals = count_totals(first, camera="bikes", region="road")
    assert sum(t.count_in + t.count_out for t in totals) > 0
    events = list_events(first, camera="bikes", limit=1000)
    presence = [e for e in events if e.kind == "presence"]
    assert presence and all(e.ended_at is not None for e in presence)
    assert all(
        e.snapshot_path and local_file(e.snapshot_path).read_bytes()[:2] == b"\xff\xd8"
        for e in presence
    )

    rows = _stored(first)
    first.downgrade("base")  # a fresh store on the same server for the second run
    first.upgrade()
    _run_into(first, tmp_path / "snaps-2", clip)
    assert _stored(first) == rows
