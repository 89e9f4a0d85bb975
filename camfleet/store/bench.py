"""How many records per second the store writer sustains on a given database.

The real :class:`StoreWriter` is fed as fast as it drains (the producer backs off when the
buffer is half full, so nothing is dropped), first with events (each opened, then closed: half
inserts, half updates), then with count increments (distinct per-minute keys). Rates include
the final flush. Snapshots are left out: this measures the database path. Rows are written
under a camera id of their own and deleted afterwards.
"""

from __future__ import annotations

import tempfile
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Literal

from sqlalchemy import delete

from camfleet.events import CountDelta, Event
from camfleet.store.database import Database, open_database
from camfleet.store.schema import CountRow, EventRow
from camfleet.store.writer import StoreWriter, WriterStats

__all__ = ["measure_store_throughput"]

_CHUNK = 250
_COUNT_KEYS: tuple[tuple[str, str, Literal["in", "out"]], ...] = tuple(
    (region, class_name, direction)
    for region in ("line-a", "line-b", "zone-c", "zone-d")
    for class_name in ("person", "bicycle")
    for direction in ("in", "out")
)


def _event(camera: str, i: int, start: float, closed: bool) -> Event:
    began = start + i * 0.01
    return Event(
        event_id=f"{camera}/{i}",
        camera_id=camera,
        model_id="bench",
        rule_id=f"{camera}/presence",
        kind="presence",
        class_name="person",
        started_at=began,
        ended_at=began + 2.0 if closed else None,
        max_confidence=0.8 if closed else 0.5,
        region="zone-c",
        track_ids=(i,),
        attributes={"frames": 12},
    )


def _event_feed(writer: StoreWriter, camera: str) -> Callable[[], None]:
    start = time.time()
    next_id = 0

    def feed() -> None:
        nonlocal next_id
        for i in range(next_id, next_id + _CHUNK // 2):
            writer.put_event(_event(camera, i, start, closed=False))
            writer.put_event(_event(camera, i, start, closed=True))
        next_id += _CHUNK // 2

    return feed


def _count_feed(writer: StoreWriter, camera: str) -> Callable[[], None]:
    minute = int(time.time() // 60)
    sent = 0

    def feed() -> None:
        nonlocal sent
        chunk = []
        for i in range(sent, sent + _CHUNK):
            region, class_name, direction = _COUNT_KEYS[i % len(_COUNT_KEYS)]
            chunk.append(
                CountDelta(camera, minute + i // len(_COUNT_KEYS), region, class_name, direction, 1)
            )
        writer.put_counts(chunk)
        sent += _CHUNK

    return feed


def _drive(
    writer: StoreWriter, feed: Callable[[], None], seconds: float, buffer_size: int
) -> tuple[float, WriterStats]:
    writer.start()
    began = time.perf_counter()
    deadline = began + seconds
    while time.perf_counter() < deadline:
        if writer.stats.pending > buffer_size // 2:
            time.sleep(0.001)
            continue
        feed()
    writer.close(timeout=120)
    return time.perf_counter() - began, writer.stats


def measure_store_throughput(
    url: str | None,
    seconds: float = 10.0,
    *,
    data_dir: Path | None = None,
    batch_max: int = 500,
    buffer_size: int = 20000,
) -> dict[str, float]:
    """Sustained ``events_per_s`` and ``count_rows_per_s`` of the writer on ``url`` (default: a
    fresh SQLite file in a temporary folder), each measured for ``seconds / 2``."""
    with tempfile.TemporaryDirectory(prefix="camfleet-bench-") as scratch:
        folder = data_dir or Path(scratch)
        db = open_database(url, folder)
        try:
            db.upgrade()
            return _measure(db, folder / "snapshots", seconds, batch_max, buffer_size)
        finally:
            db.dispose()


def _measure(
    db: Database, snapshots: Path, seconds: float, batch_max: int, buffer_size: int
) -> dict[str, float]:
    camera = f"bench-{uuid.uuid4().hex[:8]}"

    def writer() -> StoreWriter:
        return StoreWriter(
            db, snapshots, {}, buffer_size, batch_max, flush_interval_s=0.05, upgrade=False
        )

    try:
        events_writer = writer()
        elapsed, stats = _drive(
            events_writer, _event_feed(events_writer, camera), seconds / 2, buffer_size
        )
        events_per_s = stats.written_events / elapsed
        counts_writer = writer()
        elapsed, stats = _drive(
            counts_writer, _count_feed(counts_writer, camera), seconds / 2, buffer_size
        )
        count_rows_per_s = stats.written_counts / elapsed
    finally:
        with db.engine.begin() as connection:
            connection.execute(delete(EventRow).where(EventRow.camera_id == camera))
            connection.execute(delete(CountRow).where(CountRow.camera_id == camera))
    return {"events_per_s": events_per_s, "count_rows_per_s": count_rows_per_s}
