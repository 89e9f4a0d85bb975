"""Composition of one ``camfleet worker`` process: database, leases, engine, store, probes."""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from camfleet.cluster.heartbeat import heartbeat_stats
from camfleet.cluster.leases import LeaseManager
from camfleet.cluster.orphans import close_orphaned_events
from camfleet.cluster.worker import FleetWorker
from camfleet.control.embedded import build_fleet_engine
from camfleet.control.repository import FleetRepository, model_class_names
from camfleet.engine.http import WorkerHttpServer
from camfleet.errors import StoreError
from camfleet.store.database import Database, open_database
from camfleet.store.location import StoreLocation

__all__ = ["WorkerOptions", "run_worker"]

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class WorkerOptions:
    database_url: str
    data_dir: Path
    capacity: int
    snapshot_store: str | None = None
    worker_id: str | None = None
    lease_ttl_s: float = 10.0
    interval_s: float = 3.0
    handover_after_s: float = 30.0
    metrics_host: str = "0.0.0.0"
    metrics_port: int | None = None
    stall_limit_s: float = 60.0


def _migrated(url: str, data_dir: Path, stop: threading.Event) -> Database | None:
    """The database, migrated; waits (retrying) while it is unreachable at start."""
    while True:
        try:
            db = open_database(url, data_dir)
            db.upgrade()
            return db
        except StoreError as exc:
            log.warning("%s; retrying in 2 s", exc)
            if stop.wait(2.0):
                return None


def run_worker(options: WorkerOptions, stop: threading.Event) -> None:
    """Run until ``stop`` is set, then drain the engine and release every lease."""
    db = _migrated(options.database_url, options.data_dir, stop)
    if db is None:
        return
    repo = FleetRepository(db, model_class_names)
    location = StoreLocation(options.database_url, options.data_dir.resolve())
    engine = build_fleet_engine(repo, location, model_class_names, options.snapshot_store)
    leases = LeaseManager(
        db, options.capacity, worker_id=options.worker_id, ttl_s=options.lease_ttl_s,
        handover_after_s=options.handover_after_s,
    )

    def on_acquired(camera_ids: tuple[str, ...]) -> None:
        closed = close_orphaned_events(db, camera_ids, datetime.now(UTC))
        if closed:
            log.warning("closed %d events left open by the previous holder of %s", closed,
                        ", ".join(camera_ids))

    worker = FleetWorker(
        repo, leases, engine, on_acquired=on_acquired, interval_s=options.interval_s,
        stats=lambda: heartbeat_stats(engine.metrics.snapshot()),
    )
    started = threading.Event()

    def healthy() -> bool:
        if not started.is_set() or not worker.running:
            return True
        return engine.last_progress_age_s() < options.stall_limit_s

    def ready() -> bool:
        return started.is_set() and worker.database_ok

    server = None
    if options.metrics_port is not None:
        server = WorkerHttpServer(
            engine.metrics.registry, healthy=healthy, ready=ready,
            host=options.metrics_host, port=options.metrics_port,
        )
        server.start()
    engine.start()
    started.set()
    log.warning("worker %s: capacity %d cameras, leases of %.0f s, database %s",
                leases.worker_id, options.capacity, options.lease_ttl_s, db.display_url)
    try:
        worker.run(stop)
    finally:
        drain_started = time.monotonic()
        engine.stop(drain=True)
        worker.shutdown()
        if server is not None:
            server.stop()
        db.dispose()
        log.warning("worker %s stopped in %.1f s", leases.worker_id,
                    time.monotonic() - drain_started)
