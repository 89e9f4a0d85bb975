"""Two real workers while their PostgreSQL server is stopped for 20 s and started again."""

from __future__ import annotations

import re
import time
from pathlib import Path

import httpx
import pytest

from camfleet.store.database import open_database
from tests.sources.servers import free_port
from tests.store.test_postgres_outage import PrivateCluster, cluster

from .workers import Worker, camfleet, events, holders, wait_for, worker_stats, write_fleet

__all__ = ["cluster"]

pytestmark = pytest.mark.postgres

CAMERAS = 6
OUTAGE_S = 20.0


def analysed_total(port: int) -> float:
    """Frames analysed so far, from the worker's own /metrics (no database needed)."""
    text = httpx.get(f"http://127.0.0.1:{port}/metrics", timeout=5).text
    return sum(
        float(value)
        for value in re.findall(r'camfleet_frames_total\{[^}]*outcome="analysed"[^}]*\} (\S+)',
                                text)
    )


def test_workers_keep_analysing_through_an_outage_and_keep_their_leases(
    cluster: PrivateCluster, tmp_path: Path
) -> None:
    url = cluster.url
    fleet = write_fleet(tmp_path, CAMERAS)
    assert camfleet("fleet", "import", str(fleet), "--db-url", url).returncode == 0
    db = open_database(url, tmp_path)
    ports = [free_port(), free_port()]
    workers = [
        Worker(f"w{i}", url, tmp_path, "--capacity", "6", "--metrics-port", str(port),
               "--metrics-host", "127.0.0.1")
        for i, port in enumerate(ports)
    ]
    try:
        assert wait_for(
            lambda: len([n for n in worker_stats(db).values() if n["analysed"] > 0]) == CAMERAS,
            timeout_s=90,
        ), [w.output()[-2000:] for w in workers]
        owners_before = holders(db)
        db.dispose()

        cluster.stop()
        down_at = time.monotonic()
        before = [analysed_total(port) for port in ports]
        time.sleep(OUTAGE_S / 2)
        during = [analysed_total(port) for port in ports]
        readyz = [httpx.get(f"http://127.0.0.1:{p}/readyz", timeout=5).status_code
                  for p in ports]
        healthz = [httpx.get(f"http://127.0.0.1:{p}/healthz", timeout=5).status_code
                   for p in ports]
        time.sleep(max(0.0, OUTAGE_S - (time.monotonic() - down_at)))
        cluster.start()

        assert wait_for(lambda: all(h is not None for h in holders(db).values()), timeout_s=30)
        owners_after = holders(db)
        for worker in workers:
            assert worker.terminate() == 0, worker.output()[-2000:]
        stored = events(db)
    finally:
        for worker in workers:
            worker.close()
        db.dispose()
    # Analysis went on without the database: every worker's own counter kept growing.
    assert all(d > b for b, d in zip(before, during, strict=True)), (before, during)
    # Not ready (the database is gone) but alive: Kubernetes must not restart it.
    assert readyz == [503, 503] and healthz == [200, 200]
    # Nobody could claim the cameras meanwhile: the same workers hold the same cameras.
    assert owners_after == owners_before
    assert stored and all(ended is not None for ended in stored.values())
