"""Retention: old events and their snapshots go, and snapshots stay within their budget."""

from __future__ import annotations

import os
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from camfleet.store.database import Database
from camfleet.store.retention import RetentionPolicy, prune
from camfleet.store.schema import EventRow
from camfleet.store.writer import StoreWriter

from .helpers import T0, local_file, make_event

DAY = 86400.0
JPEG = b"\xff\xd8" + b"\x00" * 100_000 + b"\xff\xd9"  # about 0.1 MB


def _store(db: Database, snaps: Path, *ages_days: float) -> None:
    writer = StoreWriter(db, snaps, {}, flush_interval_s=0.01)
    writer.start()
    for i, age in enumerate(ages_days):
        start = T0 - age * DAY
        writer.put_event(
            make_event(f"e{i}", started_at=start, ended_at=start + 5, snapshot_jpeg=JPEG)
        )
    writer.close()


def _rows(db: Database) -> dict[str, str | None]:
    with Session(db.engine) as session:
        return {e.event_id: e.snapshot_path for e in session.scalars(select(EventRow))}


def test_events_older_than_retention_are_deleted_with_their_files(
    db: Database, tmp_path: Path
) -> None:
    snaps = tmp_path / "snapshots"
    _store(db, snaps, 40, 31, 29, 1)
    old_files = [local_file(p) for k, p in _rows(db).items() if k in ("e0", "e1") and p]
    assert all(f.exists() for f in old_files) and len(old_files) == 2

    report = prune(db, snaps, RetentionPolicy(retention_days=30, snapshot_budget_mb=100), T0)

    assert sorted(_rows(db)) == ["e2", "e3"]
    assert report.events_deleted == 2
    assert report.snapshots_deleted == 2
    assert not any(f.exists() for f in old_files)
    assert all(local_file(p).exists() for p in _rows(db).values() if p)
    assert not old_files[0].parent.exists()  # emptied day folders are removed too


def test_oldest_snapshots_go_first_when_over_budget(db: Database, tmp_path: Path) -> None:
    snaps = tmp_path / "snapshots"
    _store(db, snaps, 3, 2, 1, 0)
    paths = _rows(db)
    for i, event_id in enumerate(("e0", "e1", "e2", "e3")):  # file age follows event age
        os.utime(local_file(paths[event_id] or ""), (T0 + i, T0 + i))

    prune(db, snaps, RetentionPolicy(retention_days=30, snapshot_budget_mb=0.25), T0)

    after = _rows(db)
    assert sorted(after) == ["e0", "e1", "e2", "e3"]  # events are kept
    assert after["e0"] is None and after["e1"] is None
    assert after["e2"] == paths["e2"] and after["e3"] == paths["e3"]
    assert not local_file(paths["e0"] or "").exists()
    total = sum(f.stat().st_size for f in snaps.rglob("*.jpg"))
    assert total <= 0.25 * 1024 * 1024


def test_writer_prunes_on_its_own(db: Database, tmp_path: Path) -> None:
    snaps = tmp_path / "snapshots"
    _store(db, snaps, 45, 0)
    writer = StoreWriter(
        db, snaps, {}, retention=RetentionPolicy(30, 100), clock=lambda: T0, flush_interval_s=0.01
    )
    writer.start()
    writer.close()
    assert sorted(_rows(db)) == ["e1"]


def test_orphan_snapshot_files_older_than_retention_are_swept(db: Database, tmp_path: Path) -> None:
    snaps = tmp_path / "snapshots"
    orphan = snaps / "cam-1" / "2025-09-01" / "lost.jpg"
    orphan.parent.mkdir(parents=True)
    orphan.write_bytes(JPEG)
    os.utime(orphan, (T0 - 60 * DAY, T0 - 60 * DAY))
    fresh = snaps / "cam-1" / "2025-11-24" / "fresh.jpg"
    fresh.parent.mkdir(parents=True)
    fresh.write_bytes(JPEG)
    os.utime(fresh, (T0, T0))
    report = prune(db, snaps, RetentionPolicy(retention_days=30, snapshot_budget_mb=100), T0)
    assert not orphan.exists() and fresh.exists()
    assert report.snapshots_deleted == 1
