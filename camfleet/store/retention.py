"""Retention: events (with their snapshots) older than ``retention_days`` are deleted, and
while the snapshot folder is over ``snapshot_budget_mb`` the oldest snapshots go first (their
events stay, with ``snapshot_path`` set to NULL). Snapshot files older than the retention period
that no stored event owns are swept too, and finished webhook deliveries older than it are
deleted. Per-minute counts are small and kept.
"""

from __future__ import annotations

import contextlib
import logging
import os
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

from sqlalchemy import delete, func, update

from camfleet.config import StoreConfig
from camfleet.store.database import Database
from camfleet.store.records import utc
from camfleet.store.schema import EventRow, OutboxRow

__all__ = ["PruneReport", "RetentionPolicy", "prune"]

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


def _snapshot_files(snapshots_dir: Path) -> Iterator[os.DirEntry[str]]:
    stack = [snapshots_dir]
    while stack:
        try:
            entries = list(os.scandir(stack.pop()))
        except FileNotFoundError:
            continue
        for entry in entries:
            if entry.is_dir(follow_symlinks=False):
                stack.append(Path(entry.path))
            elif entry.is_file(follow_symlinks=False) and entry.name.endswith(".jpg"):
                yield entry


def _unlink(path: str) -> int:
    file = Path(path)
    try:
        size = file.stat().st_size
        file.unlink()
    except FileNotFoundError:
        return 0
    return size


def _remove_empty_dirs(snapshots_dir: Path) -> None:
    for folder, _subdirs, _files in os.walk(snapshots_dir, topdown=False):
        if Path(folder) != snapshots_dir:
            with contextlib.suppress(OSError):  # not empty
                os.rmdir(folder)


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
    db: Database, snapshots_dir: Path, cutoff_s: float, budget_bytes: int
) -> tuple[int, int]:
    """Delete snapshot files older than the cutoff (left by events that never got stored), then
    the oldest ones while the folder is over budget."""
    files = sorted(
        (entry.stat().st_mtime, entry.stat().st_size, entry.path)
        for entry in _snapshot_files(snapshots_dir)
    )
    total = sum(size for _mtime, size, _path in files)
    victims: list[str] = []
    for mtime, size, path in files:
        if mtime >= cutoff_s and total <= budget_bytes:
            break
        victims.append(path)
        total -= size
    if not victims:
        return 0, 0
    # Forget the paths first: a row may point at a missing file only for the instant between.
    with db.engine.begin() as connection:
        for start in range(0, len(victims), _CHUNK):
            connection.execute(
                update(EventRow)
                .where(EventRow.snapshot_path.in_(victims[start : start + _CHUNK]))
                .values(snapshot_path=None)
            )
    return len(victims), sum(_unlink(path) for path in victims)


def prune(db: Database, snapshots_dir: Path, policy: RetentionPolicy, now: float) -> PruneReport:
    """Apply ``policy`` at time ``now`` (epoch seconds)."""
    cutoff_s = now - timedelta(days=policy.retention_days).total_seconds()
    events, paths, deliveries = _delete_expired(db, cutoff_s)
    freed = sum(_unlink(path) for path in paths)
    over_budget, freed_budget = _sweep_files(
        db, snapshots_dir, cutoff_s, int(policy.snapshot_budget_mb * 1024 * 1024)
    )
    if paths or over_budget:
        _remove_empty_dirs(snapshots_dir)
    report = PruneReport(events, len(paths) + over_budget, freed + freed_budget, deliveries)
    if events or over_budget or deliveries:
        log.info("retention: %s", report)
    return report
