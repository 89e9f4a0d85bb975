"""Writing one batch of records in one transaction: snapshots first (to the snapshot store),
then events upserted by ``event_id``, counts incremented, the fleet's cameras and models, and
the webhook deliveries the batch's events call for."""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from sqlalchemy import text

from camfleet.config import FleetConfig
from camfleet.errors import StoreError
from camfleet.events import CountDelta, Event
from camfleet.store.database import Database
from camfleet.store.outbox import Outbox
from camfleet.store.records import event_row, merge_events, sum_counts, utc
from camfleet.store.snapshot_store import SnapshotStore
from camfleet.store.snapshots import snapshot_key
from camfleet.store.upserts import increment_counts, upsert_cameras_models, upsert_events

__all__ = ["BatchCommitter", "Committed"]

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class Committed:
    """What one committed batch wrote."""

    events: int
    counts: int
    deliveries: int


class BatchCommitter:
    """Commits batches to ``db``; raises whatever the database raises (the caller retries)."""

    def __init__(
        self,
        db: Database,
        snapshots: SnapshotStore,
        outbox: Outbox,
        clock: Callable[[], float],
    ) -> None:
        self._db = db
        self._snapshots = snapshots
        self._outbox = outbox
        self._clock = clock
        self.snapshot_errors = 0

    def commit(self, items: Sequence[Event | CountDelta], fleet: FleetConfig | None) -> Committed:
        events = [item for item in items if isinstance(item, Event)]
        count_rows = sum_counts(item for item in items if isinstance(item, CountDelta))
        merged = merge_events(events)
        event_rows = [event_row(m.event, self._store_snapshot(m.event)) for m in merged]
        now = utc(self._clock())
        with self._db.engine.begin() as connection:
            if fleet is not None:
                upsert_cameras_models(connection, fleet, now)
            if not items and fleet is None:
                # Nothing to write, but a commit marker waits for proof the store is reachable.
                connection.execute(text("SELECT 1"))
            upsert_events(connection, event_rows)
            increment_counts(connection, count_rows)
            queued = self._outbox.queue(connection, merged, event_rows, now)
        return Committed(len(events), len(count_rows), queued)

    def _store_snapshot(self, event: Event) -> str | None:
        if not event.snapshot_jpeg:
            return None
        key = snapshot_key(event.camera_id, event.started_at, event.event_id)
        try:
            return self._snapshots.put(key, event.snapshot_jpeg)
        except StoreError as exc:
            self.snapshot_errors += 1
            log.warning("%s; event %s stored without its snapshot", exc, event.event_id)
            return None
