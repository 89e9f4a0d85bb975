"""Retention: events (with their snapshots) older than ``retention_days`` are deleted, and
while the snapshot store is over ``snapshot_budget_mb`` the oldest snapshots go first (their
events stay, with ``snapshot_path`` set to NULL). Snapshots older than the retention period
that no stored event owns are swept too, and finished webhook deliveries older than it are
deleted. Per-minute counts are small and kept.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

from sqlalchemy import delete, func, update
from sqlalchemy.exc import SQLAlchemyError

from camfleet.config import StoreConfig
from camfleet.errors import StoreError
from camfleet.store.database import Database
from camfleet.store.records import utc
from camfleet.store.schema import EventRow, OutboxRow
from camfleet.store.snapshot_store import LocalSnapshotStore, SnapshotEntry, SnapshotStore

__all__ = ["PruneReport", "PruneSchedule", "RetentionPolicy", "as_snapshot_store", "prune"]

log = logging.getLogger(__name__)
_CHUNK = 500


@dataclass(frozen=True, slots=True)
class RetentionPolicy:
    retention_days: float = 30.0
    snapshot_budget_mb: float = 1024.0

    @classmethod
    def from_config(cls, store: StoreConfig) -> RetentionPolicy:
        return cls(store.retention_days, store.snapshot_budget_mb)


@dataclass(frozen=True, slots=True)
class PruneReport:
    events_deleted: int
    snapshots_deleted: int
    bytes_freed: int
    deliveries_deleted: int


def _delete_expired(db: Database, cutoff_s: float) -> tuple[int, list[str], int]:
    cutoff = utc(cutoff_s)
    with db.engine.begin() as connection:
        expired = connection.execute(
            delete(EventRow)
            .where(func.coalesce(EventRow.ended_at, EventRow.started_at) < cutoff)
            .returning(EventRow.snapshot_path)
        ).all()
        deliveries = connection.execute(
            delete(OutboxRow).where(
                OutboxRow.state.in_(("delivered", "dead")), OutboxRow.created_at < cutoff
            )
        ).rowcount
    return len(expired), [path for (path,) in expired if path], int(deliveries or 0)


def _sweep_files(
    db: Database, snapshots: SnapshotStore, cutoff_s: float, budget_bytes: int
) -> tuple[int, int]:
    """Delete snapshots older than the cutoff (left by events that never got stored), then
    the oldest ones while the store is over budget."""
    entries = sorted(snapshots.entries(), key=lambda entry: (entry.modified, entry.uri))
    total = sum(entry.size for entry in entries)
    victims: list[SnapshotEntry] = []
    for entry in entries:
        if entry.modified >= cutoff_s and total <= budget_bytes:
            break
        victims.append(entry)
        total -= entry.size
    if not victims:
        return 0, 0
    stored_as = [value for entry in victims for value in entry.stored_as]
    # Forget the paths first: a row may point at a missing file only for the instant between.
    with db.engine.begin() as connection:
        for start in range(0, len(stored_as), _CHUNK):
            connection.execute(
                update(EventRow)
                .where(EventRow.snapshot_path.in_(stored_as[start : start + _CHUNK]))
                .values(snapshot_path=None)
            )
    return len(victims), sum(_delete(snapshots, entry.uri) for entry in victims)


def _delete(snapshots: SnapshotStore, uri: str) -> int:
    try:
        return snapshots.delete(uri)
    except StoreError as exc:
        log.warning("retention: %s; left in place", exc)
        return 0


def as_snapshot_store(snapshots: SnapshotStore | Path) -> SnapshotStore:
    """A store for ``snapshots``: itself, or a local store over a directory."""
    return LocalSnapshotStore(snapshots) if isinstance(snapshots, Path) else snapshots


def prune(
    db: Database, snapshots: SnapshotStore | Path, policy: RetentionPolicy, now: float
) -> PruneReport:
    """Apply ``policy`` at time ``now`` (epoch seconds); ``snapshots`` is the snapshot store
    (a directory means the local store there)."""
    store = as_snapshot_store(snapshots)
    cutoff_s = now - timedelta(days=policy.retention_days).total_seconds()
    events, paths, deliveries = _delete_expired(db, cutoff_s)
    freed = sum(_delete(store, path) for path in paths)
    over_budget, freed_budget = _sweep_files(
        db, store, cutoff_s, int(policy.snapshot_budget_mb * 1024 * 1024)
    )
    if paths or over_budget:
        store.tidy()
    report = PruneReport(events, len(paths) + over_budget, freed + freed_budget, deliveries)
    if events or over_budget or deliveries:
        log.info("retention: %s", report)
    return report


class PruneSchedule:
    """Runs :func:`prune` at most every ``interval_s`` (the writer calls it between batches)."""

    def __init__(
        self,
        db: Database,
        snapshots: SnapshotStore,
        policy: RetentionPolicy | None,
        interval_s: float,
        clock: Callable[[], float],
    ) -> None:
        self._db = db
        self._snapshots = snapshots
        self._policy = policy
        self._interval_s = interval_s
        self._clock = clock
        self._last = -float("inf")

    def maybe_prune(self) -> None:
        if self._policy is None:
            return
        now = self._clock()
        if now - self._last < self._interval_s:
            return
        self._last = now
        try:
            prune(self._db, self._snapshots, self._policy, now)
        except (SQLAlchemyError, StoreError, OSError) as exc:
            log.warning(
                "retention pass on %s failed: %s; retrying later", self._db.display_url, exc
            )
