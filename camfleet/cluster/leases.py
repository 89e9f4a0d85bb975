"""Camera leases: how workers on many machines share one fleet through its database.

Each camera has a row in ``camera_leases``; a worker holds the cameras whose row names it as
``holder`` with ``expires_at`` in the future. Every :meth:`LeaseManager.tick` (a few seconds
apart) a worker, in small idempotent steps that any crash may interrupt:

1. heartbeats its ``workers`` row (capacity, camera count, stats for the control plane);
2. renews its leases: a lease it no longer holds (it expired and another worker claimed it,
   e.g. after a network partition) is *lost* and its camera must stop here;
3. gives up cameras no longer wanted (removed or disabled);
4. claims free or expired cameras up to its fair share, ``min(capacity, ceil(cameras / live
   workers))``, with ``SELECT ... FOR UPDATE SKIP LOCKED`` on PostgreSQL, so two workers never
   claim one camera and neither waits for the other (from its second tick on: the first only
   announces the worker, so workers started together see each other before claiming);
5. when above its fair share while another live worker is below it, hands the excess over,
   choosing cameras it has run for at least ``handover_after_s`` (a camera just moved is not
   moved again at once).

A worker never needs another worker to be alive to make progress: a dead worker's leases
simply expire. Time is each worker's wall clock (UTC), so worker clocks must be synchronized
to well within the lease TTL (NTP does this on every cloud host).
"""

from __future__ import annotations

import math
import socket
import time
import uuid
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, and_, delete, func, or_, select, update

from camfleet.store.database import Database
from camfleet.store.records import utc
from camfleet.store.schema import CameraLeaseRow, WorkerRow
from camfleet.store.upserts import dialect_insert

__all__ = ["LeaseChanges", "LeaseManager", "default_worker_id"]

_IN_CHUNK = 500  # ids per IN (...) list: far below SQLite's and PostgreSQL's parameter limits


def default_worker_id() -> str:
    """``host-pid-random``: unique per process, readable in the workers table."""
    return f"{socket.gethostname()}-{uuid.uuid4().hex[:8]}"


@dataclass(frozen=True, slots=True)
class LeaseChanges:
    """What one tick changed: cameras to start, and cameras to stop (with why)."""

    acquired: tuple[str, ...] = ()
    lost: tuple[str, ...] = ()
    dropped: tuple[str, ...] = ()
    handover: tuple[str, ...] = ()

    @property
    def to_stop(self) -> tuple[str, ...]:
        return self.lost + self.dropped + self.handover


def _chunks(ids: list[str]) -> list[list[str]]:
    return [ids[i : i + _IN_CHUNK] for i in range(0, len(ids), _IN_CHUNK)] or [[]]


class LeaseManager:
    """One worker's side of the lease protocol. Not thread-safe: call from one thread."""

    def __init__(
        self,
        db: Database,
        capacity: int,
        *,
        worker_id: str | None = None,
        ttl_s: float = 10.0,
        handover_after_s: float = 30.0,
        clock: Callable[[], float] = time.time,
    ) -> None:
        if capacity < 1:
            raise ValueError(f"capacity must be >= 1, got {capacity}")
        self._db = db
        self.capacity = capacity
        self.worker_id = worker_id or default_worker_id()
        self.ttl_s = ttl_s
        self.handover_after_s = handover_after_s
        self._clock = clock
        self._started_at = utc(clock())
        self._held: dict[str, float] = {}  # camera id -> when this worker acquired it
        self._announced = False

    @property
    def held(self) -> frozenset[str]:
        """Cameras this worker holds, as of the last tick."""
        return frozenset(self._held)

    # -- one tick ------------------------------------------------------------------------------

    def tick(self, wanted: Collection[str], stats: Mapping[str, Any] | None = None) -> LeaseChanges:
        """Run one round of the protocol for the set of cameras the fleet wants running.

        Raises the database's errors (SQLAlchemy) when it is unreachable; the caller keeps its
        cameras running and tries again (the leases stay ours until they expire, and an
        unreachable database lets nobody else claim them).
        """
        now_s = self._clock()
        now = utc(now_s)
        expires = utc(now_s + self.ttl_s)
        wanted_ids = sorted(set(wanted))
        with self._db.engine.begin() as connection:
            self._heartbeat(connection, now, expires, stats or {})
            self._ensure_rows(connection, wanted_ids)
            renewed = self._renew(connection, expires)
        lost = tuple(sorted(set(self._held) - renewed))
        for camera_id in lost:
            self._held.pop(camera_id, None)
        # Leases under this worker's name that it does not run: a previous process with the
        # same id (a restarted pod) died holding them. Free them for a normal claim.
        stale = renewed - set(self._held)
        if stale:
            self.release(stale, force=True)
        dropped = tuple(sorted(set(self._held) - set(wanted_ids)))
        if dropped:
            self.release(dropped)
        with self._db.engine.begin() as connection:
            live, loads = self._live_workers(connection, now)
            fair = min(self.capacity, math.ceil(len(wanted_ids) / max(live, 1)))
            acquired: tuple[str, ...] = ()
            handover: tuple[str, ...] = ()
            if not self._announced:
                self._announced = True
            elif len(self._held) < fair:
                acquired = self._claim(connection, wanted_ids, fair - len(self._held), now, expires)
            elif len(self._held) > fair and self._someone_below(loads, fair, live):
                handover = self._pick_handover(len(self._held) - fair, now_s)
            self._collect_garbage(connection, wanted_ids, now)
        for camera_id in acquired:
            self._held[camera_id] = now_s
        return LeaseChanges(acquired=acquired, lost=lost, dropped=dropped, handover=handover)

    def _heartbeat(
        self, connection: Connection, now: datetime, expires: datetime, stats: Mapping[str, Any]
    ) -> None:
        values = {
            "worker_id": self.worker_id,
            "host": socket.gethostname(),
            "capacity": self.capacity,
            "cameras": len(self._held),
            "started_at": self._started_at,
            "heartbeat_at": now,
            "expires_at": expires,
            "stats": dict(stats),
        }
        stmt = dialect_insert(connection, WorkerRow).values(values)
        stmt = stmt.on_conflict_do_update(
            index_elements=[WorkerRow.worker_id],
            set_={k: stmt.excluded[k] for k in values if k not in ("worker_id", "started_at")},
        )
        connection.execute(stmt)
        connection.execute(delete(WorkerRow).where(WorkerRow.expires_at < now))

    def _ensure_rows(self, connection: Connection, wanted_ids: list[str]) -> None:
        if not wanted_ids:
            return
        stmt = dialect_insert(connection, CameraLeaseRow).on_conflict_do_nothing(
            index_elements=[CameraLeaseRow.camera_id]
        )
        connection.execute(
            stmt, [{"camera_id": c, "generation": 0, "holder": None} for c in wanted_ids]
        )

    def _renew(self, connection: Connection, expires: datetime) -> set[str]:
        connection.execute(
            update(CameraLeaseRow)
            .where(CameraLeaseRow.holder == self.worker_id)
            .values(expires_at=expires)
        )
        rows = connection.execute(
            select(CameraLeaseRow.camera_id).where(CameraLeaseRow.holder == self.worker_id)
        )
        return {row[0] for row in rows}

    def _live_workers(self, connection: Connection, now: datetime) -> tuple[int, dict[str, int]]:
        live = connection.execute(
            select(func.count()).select_from(WorkerRow).where(WorkerRow.expires_at >= now)
        ).scalar_one()
        loads = {
            str(holder): int(count)
            for holder, count in connection.execute(
                select(CameraLeaseRow.holder, func.count())
                .where(CameraLeaseRow.holder.is_not(None), CameraLeaseRow.expires_at >= now)
                .group_by(CameraLeaseRow.holder)
            )
        }
        return int(live), loads

    def _someone_below(self, loads: Mapping[str, int], fair: int, live: int) -> bool:
        """Whether a live worker other than this one holds fewer than ``fair - 1`` cameras
        (a difference of one is what an uneven split leaves, not worth a move)."""
        others = [count for holder, count in loads.items() if holder != self.worker_id]
        idle_workers = live - 1 - len(others)
        return idle_workers > 0 or any(count < fair - 1 for count in others)

    def _claim(
        self,
        connection: Connection,
        wanted_ids: list[str],
        limit: int,
        now: datetime,
        expires: datetime,
    ) -> tuple[str, ...]:
        claimed: list[str] = []
        free = or_(CameraLeaseRow.holder.is_(None), CameraLeaseRow.expires_at < now)
        for chunk in _chunks(wanted_ids):
            if len(claimed) >= limit or not chunk:
                break
            query = (
                select(CameraLeaseRow.camera_id)
                .where(free, CameraLeaseRow.camera_id.in_(chunk))
                .order_by(CameraLeaseRow.camera_id)
                .limit(limit - len(claimed))
                .with_for_update(skip_locked=True)
            )
            ids = [row[0] for row in connection.execute(query)]
            if not ids:
                continue
            connection.execute(
                update(CameraLeaseRow)
                .where(and_(CameraLeaseRow.camera_id.in_(ids), free))
                .values(
                    holder=self.worker_id,
                    acquired_at=now,
                    expires_at=expires,
                    generation=CameraLeaseRow.generation + 1,
                )
            )
            claimed.extend(ids)
        return tuple(claimed)

    def _pick_handover(self, excess: int, now_s: float) -> tuple[str, ...]:
        settled = sorted(
            (acquired_at, camera_id)
            for camera_id, acquired_at in self._held.items()
            if now_s - acquired_at >= self.handover_after_s
        )
        return tuple(camera_id for _, camera_id in settled[:excess])

    def _collect_garbage(
        self, connection: Connection, wanted_ids: list[str], now: datetime
    ) -> None:
        """Delete lease rows of cameras no longer wanted once nobody holds them."""
        held = connection.execute(select(CameraLeaseRow.camera_id))
        stale = sorted({row[0] for row in held} - set(wanted_ids))
        for chunk in _chunks(stale):
            if chunk:
                connection.execute(
                    delete(CameraLeaseRow).where(
                        CameraLeaseRow.camera_id.in_(chunk),
                        or_(CameraLeaseRow.holder.is_(None), CameraLeaseRow.expires_at < now),
                    )
                )

    # -- giving cameras up ---------------------------------------------------------------------

    def release(self, camera_ids: Collection[str], force: bool = False) -> None:
        """Give up these cameras now (after they stopped here): free for any worker at once.
        ``force``: also leases under this worker's name that it does not know it holds."""
        ids = sorted(set(camera_ids) if force else set(camera_ids) & set(self._held))
        with self._db.engine.begin() as connection:
            for chunk in _chunks(ids):
                if chunk:
                    connection.execute(
                        update(CameraLeaseRow)
                        .where(
                            CameraLeaseRow.camera_id.in_(chunk),
                            CameraLeaseRow.holder == self.worker_id,
                        )
                        .values(holder=None, expires_at=None)
                    )
        for camera_id in ids:
            self._held.pop(camera_id, None)

    def leave(self) -> None:
        """Release every lease and remove this worker's row (a clean shutdown)."""
        self.release(list(self._held))
        with self._db.engine.begin() as connection:
            connection.execute(
                update(CameraLeaseRow)
                .where(CameraLeaseRow.holder == self.worker_id)
                .values(holder=None, expires_at=None)
            )
            connection.execute(delete(WorkerRow).where(WorkerRow.worker_id == self.worker_id))
