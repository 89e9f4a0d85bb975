"""Commit markers: capture -> committed latency is reported only once the records put before a
marker are committed, against real SQLite and PostgreSQL (through a proxy that goes down)."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

import pytest
from sqlalchemy import func, select
from sqlalchemy.engine import make_url

from camfleet.store.database import Database
from camfleet.store.schema import EventRow
from camfleet.store.writer import StoreWriter

from .helpers import TcpForwarder, make_event, wait_until


class Reports:
    """Collects listener calls together with how many events were stored at that moment."""

    def __init__(self, db: Database) -> None:
        self._db = db
        self.calls: list[tuple[str, float, int]] = []
        self.lock = threading.Lock()

    def __call__(self, camera_id: str, latency_s: float) -> None:
        with self._db.engine.connect() as connection:
            stored = connection.execute(select(func.count()).select_from(EventRow)).scalar_one()
        with self.lock:
            self.calls.append((camera_id, latency_s, int(stored)))

    def __len__(self) -> int:
        with self.lock:
            return len(self.calls)


def test_a_marker_is_reported_after_the_records_before_it_commit(
    db: Database, writers: Callable[..., StoreWriter]
) -> None:
    writer = writers(db, batch_max=7)  # several batches before the marker
    reports = Reports(db)
    writer.set_commit_listener(reports)
    writer.start()
    for i in range(30):
        writer.put_event(make_event(f"e{i}"))
    writer.put_marker("cam-1", time.monotonic() - 0.5)
    assert wait_until(lambda: len(reports) == 1)
    [(camera, latency, stored)] = reports.calls
    assert camera == "cam-1"
    assert stored == 30  # every event put before the marker was already committed
    assert 0.5 <= latency < 20.0


def test_a_marker_with_nothing_before_it_still_waits_for_a_commit(
    db: Database, writers: Callable[..., StoreWriter]
) -> None:
    writer = writers(db)
    reports = Reports(db)
    writer.set_commit_listener(reports)
    writer.start()
    for camera in ("a", "b", "c"):
        writer.put_marker(camera, time.monotonic())
    assert wait_until(lambda: len(reports) == 3)
    assert [camera for camera, _, _ in reports.calls] == ["a", "b", "c"]
    writer.set_commit_listener(None)
    writer.put_marker("d", time.monotonic())
    writer.close()
    assert len(reports) == 3


@pytest.mark.postgres
def test_no_marker_is_reported_while_the_database_is_down(
    pg_url: str, open_db: Callable[..., Database], writers: Callable[..., StoreWriter]
) -> None:
    real = make_url(pg_url)
    proxy = TcpForwarder((real.host or "127.0.0.1", real.port or 5432))
    through_proxy = real.set(port=proxy.port).render_as_string(hide_password=False)
    direct = open_db(pg_url)
    db = open_db(through_proxy, connect=False)
    writer = writers(db, retry_base_s=0.05, retry_cap_s=0.2)
    reports = Reports(direct)
    writer.set_commit_listener(reports)
    proxy.start()
    writer.start()
    writer.put_event(make_event("before"))
    writer.put_marker("cam-1", time.monotonic())
    assert wait_until(lambda: len(reports) == 1)

    proxy.stop()
    down_at = time.monotonic()
    writer.put_event(make_event("during"))
    writer.put_marker("cam-1", down_at)
    writer.put_marker("cam-2", down_at)
    assert wait_until(lambda: writer.stats.retries >= 3)
    time.sleep(1.0)
    assert len(reports) == 1  # nothing committed, nothing reported
    proxy.start()
    try:
        assert wait_until(lambda: len(reports) == 3)
        outage_s = time.monotonic() - down_at
        writer.close(timeout=30)
    finally:
        proxy.stop()
    after = reports.calls[1:]
    assert [camera for camera, _, _ in after] == ["cam-1", "cam-2"]
    assert all(stored == 2 for _, _, stored in after)
    assert all(1.0 <= latency <= outage_s + 1.0 for _, latency, _ in after)
