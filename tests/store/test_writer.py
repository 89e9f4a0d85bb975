"""The store writer against real databases: idempotent upserts, counts, buffering, outages."""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from sqlalchemy import func, select
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session

from camfleet.config import parse_fleet
from camfleet.events import CountDelta
from camfleet.store.database import Database
from camfleet.store.schema import CameraRow, CountRow, EventRow, ModelRow
from camfleet.store.writer import StoreWriter

from .helpers import T0, TcpForwarder, local_file, make_event, wait_until

MINUTE = int(T0 // 60)


def _events(db: Database) -> list[EventRow]:
    with Session(db.engine, expire_on_commit=False) as session:
        return list(session.scalars(select(EventRow).order_by(EventRow.event_id)))


def _count_of(db: Database, model: type[EventRow] | type[CountRow]) -> int:
    with db.engine.connect() as connection:
        return int(connection.execute(select(func.count()).select_from(model)).scalar_one())


def _row_events(db: Database) -> list[tuple[object, ...]]:
    with db.engine.connect() as connection:
        return [tuple(r) for r in connection.execute(select(*EventRow.__table__.c)).all()]


def test_same_event_twice_is_one_row(db: Database, writers: Callable[..., StoreWriter]) -> None:
    writer = writers(db)
    writer.start()
    writer.put_event(make_event())
    writer.put_event(make_event())
    writer.close()
    assert _count_of(db, EventRow) == 1
    # A retry in a later batch (a new writer) changes nothing either.
    before = _row_events(db)
    again = writers(db)
    again.start()
    again.put_event(make_event())
    again.close()
    assert _row_events(db) == before
    assert writer.stats.written_events == 2
    assert writer.stats.dropped == 0


def test_close_updates_the_open_event(
    db: Database, writers: Callable[..., StoreWriter], tmp_path: Path
) -> None:
    writer = writers(db, batch_max=1)  # open and close land in separate transactions
    writer.start()
    writer.put_event(make_event(max_confidence=0.8, snapshot_jpeg=b"\xff\xd8open\xff\xd9"))
    assert wait_until(lambda: writer.stats.written_events == 1)
    writer.put_event(make_event(ended_at=T0 + 4.5, max_confidence=0.6, track_ids=(3, 7)))
    writer.close()
    [event] = _events(db)
    assert event.ended_at is not None
    assert (event.ended_at - event.started_at).total_seconds() == pytest.approx(4.5)
    assert event.started_at.utcoffset() is not None
    assert event.max_confidence == pytest.approx(0.8)  # confidence never goes down
    assert event.track_ids == [3, 7]
    expected = tmp_path / "snapshots" / "cam-1" / "2025-11-24" / "cam-1_fall_1-"
    assert event.snapshot_path is not None
    assert event.snapshot_path.startswith(expected.as_uri())
    assert local_file(event.snapshot_path).read_bytes() == b"\xff\xd8open\xff\xd9"


def test_counts_are_incremented_within_and_across_batches(
    db: Database, writers: Callable[..., StoreWriter]
) -> None:
    writer = writers(db)
    writer.start()
    crossing = CountDelta("cam-1", MINUTE, "road", "person", "in", 1)
    writer.put_counts([crossing, crossing, CountDelta("cam-1", MINUTE, "road", "person", "out", 2)])
    assert wait_until(lambda: writer.stats.written_counts >= 2)
    writer.put_counts([CountDelta("cam-1", MINUTE, "road", "person", "in", 5)])
    writer.put_counts([CountDelta("cam-1", MINUTE + 1, "road", "person", "in", 1)])
    writer.close()
    with db.engine.connect() as connection:
        rows = connection.execute(
            select(CountRow.minute, CountRow.direction, CountRow.count).order_by(
                CountRow.minute, CountRow.direction
            )
        ).all()
    assert [tuple(r) for r in rows] == [
        (MINUTE, "in", 7),
        (MINUTE, "out", 2),
        (MINUTE + 1, "in", 1),
    ]


def test_close_flushes_everything_buffered(
    db: Database, writers: Callable[..., StoreWriter]
) -> None:
    writer = writers(db, batch_max=100, flush_interval_s=5.0)
    for i in range(1500):
        writer.put_event(make_event(f"e{i}", started_at=T0 + i))
    writer.put_counts([CountDelta("cam-1", MINUTE + i, "road", "car", "in", 1) for i in range(300)])
    writer.start()
    writer.close(timeout=60)
    assert _count_of(db, EventRow) == 1500
    assert _count_of(db, CountRow) == 300
    assert writer.stats.pending == 0
    assert writer.stats.dropped == 0


def test_full_buffer_drops_the_oldest_and_counts_it(
    db: Database, writers: Callable[..., StoreWriter], caplog: pytest.LogCaptureFixture
) -> None:
    writer = writers(db, buffer_size=10)
    for i in range(25):
        writer.put_event(make_event(f"e{i:02d}"))
    assert writer.stats.dropped == 15
    assert "store buffer full" in caplog.text
    writer.start()
    writer.close()
    assert [e.event_id for e in _events(db)] == [f"e{i:02d}" for i in range(15, 25)]
    assert writer.stats.dropped == 15
    writer.put_event(make_event("late"))  # after close: counted, not silently lost
    assert writer.stats.dropped == 16


def test_events_survive_a_restart(
    db_url: str, open_db: Callable[..., Database], writers: Callable[..., StoreWriter]
) -> None:
    first = open_db(db_url)
    writer = writers(first)
    writer.start()
    writer.put_event(make_event(ended_at=T0 + 1))
    writer.close()
    first.dispose()
    reopened = open_db(db_url)
    assert [e.event_id for e in _events(reopened)] == ["cam-1/fall/1"]


def test_cameras_and_models_reflect_the_fleet(
    db: Database, writers: Callable[..., StoreWriter]
) -> None:
    fleet = parse_fleet(
        {
            "models": {"fall": {"path": "bundled:fall-yolov8s-dynamic.onnx"}},
            "cameras": [
                {"id": "dock-1", "source": "a.mp4", "models": ["fall"]},
                {"id": "dock-2", "source": "b.mp4", "models": ["fall"], "analyze_fps": 4},
            ],
        }
    )
    writer = writers(db)
    writer.upsert_cameras_models(fleet)
    writer.start()
    writer.close()
    with db.engine.connect() as connection:
        cameras = connection.execute(
            select(CameraRow.camera_id, CameraRow.analyze_fps).order_by(CameraRow.camera_id)
        ).all()
        models = connection.execute(select(ModelRow.model_id)).scalars().all()
    assert [tuple(c) for c in cameras] == [("dock-1", 2.0), ("dock-2", 4.0)]
    assert models == ["fall"]


def test_locked_sqlite_buffers_then_writes_everything(
    tmp_path: Path, open_db: Callable[..., Database], writers: Callable[..., StoreWriter]
) -> None:
    db = open_db(f"sqlite:///{tmp_path / 'locked.db'}", busy_timeout_ms=50)
    db.upgrade()
    blocker = sqlite3.connect(tmp_path / "locked.db", isolation_level=None)
    blocker.execute("BEGIN EXCLUSIVE")
    writer = writers(db, retry_base_s=0.05, retry_cap_s=0.2)
    writer.start()
    started = time.perf_counter()
    for i in range(1000):
        writer.put_event(make_event(f"e{i}"))
    assert time.perf_counter() - started < 0.5  # producers never wait for the database
    assert wait_until(lambda: writer.stats.retries >= 2)
    assert writer.stats.written_events == 0
    assert "locked" in (writer.stats.last_error or "")
    blocker.execute("ROLLBACK")
    blocker.close()
    writer.close(timeout=30)
    assert _count_of(db, EventRow) == 1000
    assert writer.stats.dropped == 0


@pytest.mark.postgres
def test_postgres_down_at_start_then_up_then_down_again(
    pg_url: str, open_db: Callable[..., Database], writers: Callable[..., StoreWriter]
) -> None:
    real = make_url(pg_url)
    proxy = TcpForwarder((real.host or "127.0.0.1", real.port or 5432))
    through_proxy = real.set(port=proxy.port).render_as_string(hide_password=False)
    db = open_db(through_proxy, connect=False)
    writer = writers(db, retry_base_s=0.05, retry_cap_s=0.2)
    writer.start()  # the migration itself has to wait for the server
    for i in range(50):
        writer.put_event(make_event(f"e{i}"))
    writer.put_counts([CountDelta("cam-1", MINUTE, "road", "car", "in", 3)])
    assert wait_until(lambda: writer.stats.retries >= 2)
    assert writer.stats.written_events == 0
    proxy.start()
    try:
        assert wait_until(lambda: writer.stats.written_events == 50)
        proxy.stop()  # pooled connections break mid-run
        retries = writer.stats.retries
        for i in range(50, 80):
            writer.put_event(make_event(f"e{i}"))
        assert wait_until(lambda: writer.stats.retries > retries)
        assert writer.stats.written_events == 50
        proxy.start()
        assert wait_until(lambda: writer.stats.written_events == 80)
        writer.close(timeout=30)
    finally:
        proxy.stop()
    direct = open_db(pg_url)
    assert _count_of(direct, EventRow) == 80
    assert _count_of(direct, CountRow) == 1
    assert writer.stats.dropped == 0


def test_a_poisoned_record_costs_only_itself(
    db: Database, writers: Callable[..., StoreWriter], caplog: pytest.LogCaptureFixture
) -> None:
    writer = writers(db, retry_base_s=0.01)
    writer.put_event(make_event("good-1"))
    writer.put_event(make_event("bad", started_at=float("inf")))
    writer.put_event(make_event("good-2"))
    writer.start()
    writer.close()
    assert [e.event_id for e in _events(db)] == ["good-1", "good-2"]
    assert writer.stats.dropped == 1
    assert "rejected event 'bad'" in caplog.text
