"""The store writer: takes events and counts from analytics without blocking and persists them
in batches on its own thread.

``put_event`` and ``put_counts`` append to a bounded buffer and return at once; they never
raise. A writer thread takes up to ``batch_max`` items (waiting at most ``flush_interval_s``
for a full batch) and writes them in one transaction: events upserted by ``event_id``, counts
incremented, snapshot JPEGs written beside the database, webhook deliveries queued in the
outbox. When the database is unavailable the batch in hand is retried with exponential
backoff while new items keep buffering; when the buffer is full the **oldest** item is dropped,
counted in ``stats.dropped`` and logged (at most every 10 s). ``close()`` flushes everything
buffered.

Webhooks: each rule's URLs get one delivery when the writer first sees an event open and one
when it sees it closed (outbox ``phase`` ``open``/``closed``); an event first seen already
closed gets only the ``closed`` delivery. Replays of either state never queue a second one.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import Connection
from sqlalchemy.exc import (
    DisconnectionError,
    InterfaceError,
    OperationalError,
    SQLAlchemyError,
)
from sqlalchemy.exc import TimeoutError as PoolTimeoutError

from camfleet.config import FleetConfig, StoreConfig, WebhookConfig
from camfleet.errors import StoreError
from camfleet.events import CountDelta, Event
from camfleet.store.buffer import DropOldestBuffer
from camfleet.store.database import Database, open_database
from camfleet.store.location import StoreLocation
from camfleet.store.records import (
    MergedEvent,
    event_row,
    merge_events,
    sum_counts,
    utc,
    webhook_payload,
)
from camfleet.store.retention import RetentionPolicy, prune
from camfleet.store.snapshots import snapshot_path, write_atomically
from camfleet.store.upserts import (
    enqueue_deliveries,
    evict_outbox_overflow,
    increment_counts,
    upsert_cameras_models,
    upsert_events,
)
from camfleet.store.webhooks import WebhookDispatcher

__all__ = ["StoreWriter", "WriterStats", "open_writer"]

log = logging.getLogger(__name__)

_TRANSIENT = (OperationalError, InterfaceError, DisconnectionError, PoolTimeoutError, StoreError)
# A batch the database keeps rejecting for another reason (bad data) is split after this many
# tries, so one poisoned record cannot stall the store.
_MAX_TRIES_NON_TRANSIENT = 3
_LOG_EVERY_S = 10.0


@dataclass(frozen=True, slots=True)
class WriterStats:
    """A snapshot of the writer's counters."""

    written_events: int
    written_counts: int
    dropped: int
    pending: int
    retries: int
    last_error: str | None
    outbox_evicted: int
    snapshot_errors: int


def _one_line(exc: BaseException) -> str:
    text = str(getattr(exc, "orig", None) or exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__


def _describe(item: Event | CountDelta) -> str:
    if isinstance(item, Event):
        return f"event {item.event_id!r} of rule {item.rule_id!r}"
    return f"count of {item.class_name!r} in {item.region!r} on camera {item.camera_id!r}"


class _RateLimitedWarning:
    def __init__(self, every_s: float) -> None:
        self._every_s = every_s
        self._last = -float("inf")
        self._lock = threading.Lock()

    def __call__(self, message: str, *args: object) -> None:
        now = time.monotonic()
        with self._lock:
            if now - self._last < self._every_s:
                return
            self._last = now
        log.warning(message, *args)


class StoreWriter:
    """Persists :class:`Event` and :class:`CountDelta` records; implements ``EventWriter``.

    Webhook deliveries are queued in the outbox for every rule in ``webhooks_by_rule``; a
    :class:`WebhookDispatcher` thread (``dispatcher``, or a default one) delivers them unless
    ``deliver_webhooks`` is False (another process delivers from the same outbox).
    Retention runs every ``prune_interval_s`` when a ``retention`` policy is given.
    ``stats.written_events`` counts event records (an open and its close are two).
    """

    def __init__(
        self,
        db: Database,
        snapshots_dir: Path,
        webhooks_by_rule: Mapping[str, Sequence[WebhookConfig]],
        buffer_size: int = 10000,
        batch_max: int = 500,
        flush_interval_s: float = 0.2,
        *,
        retention: RetentionPolicy | None = None,
        prune_interval_s: float = 600.0,
        outbox_cap: int = 10000,
        retry_base_s: float = 0.2,
        retry_cap_s: float = 10.0,
        upgrade: bool = True,
        dispatcher: WebhookDispatcher | None = None,
        deliver_webhooks: bool = True,
        clock: Callable[[], float] = time.time,
    ) -> None:
        if batch_max < 1:
            raise ValueError(f"batch_max must be >= 1, got {batch_max}")
        self._db = db
        self._snapshots_dir = snapshots_dir
        self._webhooks = {rule: list(hooks) for rule, hooks in webhooks_by_rule.items() if hooks}
        self._buffer: DropOldestBuffer[Event | CountDelta] = DropOldestBuffer(
            buffer_size, wake_at=batch_max
        )
        self._batch_max = batch_max
        self._flush_interval_s = flush_interval_s
        self._retention = retention
        self._prune_interval_s = prune_interval_s
        self._outbox_cap = outbox_cap
        self._retry_base_s = retry_base_s
        self._retry_cap_s = retry_cap_s
        self._upgrade = upgrade
        self._clock = clock
        self._dispatcher = dispatcher if deliver_webhooks else None
        if self._dispatcher is None and self._webhooks and deliver_webhooks:
            self._dispatcher = WebhookDispatcher(db, clock, webhooks_by_rule=self._webhooks)
        self._fleet: FleetConfig | None = None
        self._in_hand: list[Event | CountDelta] = []
        self._thread: threading.Thread | None = None
        self._closing = threading.Event()
        self._stop_now = threading.Event()
        self._warn_drop = _RateLimitedWarning(_LOG_EVERY_S)
        self._warn_retry = _RateLimitedWarning(_LOG_EVERY_S)
        self._written_events = 0
        self._written_counts = 0
        self._lost = 0
        self._lost_lock = threading.Lock()
        self._retries = 0
        self._last_error: str | None = None
        self._outbox_evicted = 0
        self._snapshot_errors = 0
        self._last_prune = -float("inf")

    # -- producer side: never blocks, never raises -------------------------------------------

    def put_event(self, event: Event) -> None:
        self._put((event,))

    def put_counts(self, deltas: Sequence[CountDelta]) -> None:
        if deltas:
            self._put(deltas)

    def upsert_cameras_models(self, fleet: FleetConfig) -> None:
        """Make the cameras and models tables reflect ``fleet`` (written with the next batch)."""
        self._fleet = fleet

    def _put(self, items: Sequence[Event | CountDelta]) -> None:
        if self._closing.is_set():
            self._count_lost(len(items))
            self._warn_drop("store writer is closed; %d records not stored", len(items))
            return
        dropped = self._buffer.put_many(items)
        if dropped:
            self._warn_drop(
                "store buffer full (%d records): dropped the oldest; %d dropped so far "
                "(database %s: %s)",
                self._buffer.capacity,
                self._buffer.dropped + self._lost,
                self._db.display_url,
                self._last_error or "writing too slowly",
            )

    def _count_lost(self, n: int) -> None:
        with self._lost_lock:
            self._lost += n

    # -- lifecycle ----------------------------------------------------------------------------

    @property
    def stats(self) -> WriterStats:
        return WriterStats(
            written_events=self._written_events,
            written_counts=self._written_counts,
            dropped=self._buffer.dropped + self._lost,
            pending=len(self._buffer) + len(self._in_hand),
            retries=self._retries,
            last_error=self._last_error,
            outbox_evicted=self._outbox_evicted,
            snapshot_errors=self._snapshot_errors,
        )

    @property
    def dispatcher(self) -> WebhookDispatcher | None:
        return self._dispatcher

    def start(self) -> None:
        """Start the writer thread (it migrates the database to head first, retrying while the
        database is unavailable) and the webhook dispatcher."""
        if self._thread is not None:
            raise RuntimeError("StoreWriter.start() called twice")
        self._thread = threading.Thread(target=self._run, name="camfleet-store", daemon=True)
        self._thread.start()

    def close(self, timeout: float = 30.0) -> None:
        """Flush everything buffered (waiting up to ``timeout`` seconds), then stop.

        Records still unwritten after ``timeout`` (database down) are counted as dropped and
        logged.
        """
        if self._closing.is_set():
            return
        self._closing.set()
        self._buffer.close()
        if self._thread is not None:
            self._thread.join(timeout)
            if self._thread.is_alive():
                self._stop_now.set()
                self._thread.join(5.0)
        if self._dispatcher is not None:
            self._dispatcher.close(timeout=5.0)
        unwritten = len(self._buffer) + len(self._in_hand)
        if unwritten:
            self._count_lost(unwritten)
            log.error(
                "store writer closed with %d records unwritten to %s: %s",
                unwritten,
                self._db.display_url,
                self._last_error,
            )

    # -- writer thread ------------------------------------------------------------------------

    def _run(self) -> None:
        if not self._retry_until_done(self._migrate):
            return
        if self._dispatcher is not None:
            self._dispatcher.start()
        while True:
            if not self._in_hand:
                wait = 0.0 if self._closing.is_set() else self._flush_interval_s
                self._in_hand = self._buffer.take(self._batch_max, wait)
            if (self._in_hand or self._fleet is not None) and not self._retry_until_done(
                self._write_in_hand
            ):
                return
            self._maybe_prune()
            if self._closing.is_set() and not self._in_hand and len(self._buffer) == 0:
                return

    def _migrate(self) -> None:
        if self._upgrade:
            self._db.upgrade()

    def _retry_until_done(self, action: Callable[[], None]) -> bool:
        """Run ``action`` until it succeeds; False if told to stop first."""
        tries = 0
        while not self._stop_now.is_set():
            try:
                action()
                return True
            except Exception as exc:  # the writer thread must outlive any one bad batch
                tries += 1
                self._retries += 1
                self._last_error = _one_line(exc)
                if not isinstance(exc, _TRANSIENT) and tries >= _MAX_TRIES_NON_TRANSIENT:
                    self._salvage_in_hand(exc)
                    tries = 0
                    if not self._in_hand:
                        return True
                    continue
                delay = min(self._retry_base_s * 2 ** min(tries - 1, 30), self._retry_cap_s)
                self._warn_retry(
                    "store %s unavailable (%s); %d records buffered, retrying in %.1f s",
                    self._db.display_url,
                    self._last_error,
                    len(self._buffer) + len(self._in_hand),
                    delay,
                )
                self._stop_now.wait(delay)
        return False

    def _salvage_in_hand(self, batch_error: Exception) -> None:
        """A batch the database keeps rejecting for a reason other than being unreachable:
        write its records one by one and drop only those rejected on their own. If the
        database becomes unreachable meanwhile, the rest stays in hand for normal retries."""
        batch, self._in_hand = self._in_hand, []
        rejected = 0
        if self._fleet is not None:
            try:
                self._write_in_hand()
            except _TRANSIENT:
                self._in_hand = batch
                return
            except Exception as exc:
                log.error(
                    "store %s rejected the cameras/models of the fleet config: %s",
                    self._db.display_url,
                    _one_line(exc),
                )
                self._fleet = None
        for index, item in enumerate(batch):
            self._in_hand = [item]
            try:
                self._write_in_hand()
            except _TRANSIENT:
                self._in_hand = batch[index:]
                break
            except Exception as exc:
                rejected += 1
                self._in_hand = []
                log.error(
                    "store %s rejected %s, dropping it: %s",
                    self._db.display_url,
                    _describe(item),
                    _one_line(exc),
                )
        if rejected:
            self._count_lost(rejected)
            log.error(
                "store %s: dropped %d of a batch of %d records after: %s",
                self._db.display_url,
                rejected,
                len(batch),
                _one_line(batch_error),
            )

    def _write_in_hand(self) -> None:
        events = [item for item in self._in_hand if isinstance(item, Event)]
        count_rows = sum_counts(item for item in self._in_hand if isinstance(item, CountDelta))
        merged = merge_events(events)
        event_rows = [event_row(m.event, self._store_snapshot(m.event)) for m in merged]
        fleet = self._fleet
        now = utc(self._clock())
        queued = 0
        with self._db.engine.begin() as connection:
            if fleet is not None:
                upsert_cameras_models(connection, fleet, now)
            upsert_events(connection, event_rows)
            increment_counts(connection, count_rows)
            queued = self._queue_webhooks(connection, merged, event_rows)
        if fleet is self._fleet:
            self._fleet = None
        self._written_events += len(events)
        self._written_counts += len(count_rows)
        self._in_hand = []
        if queued and self._dispatcher is not None:
            self._dispatcher.wake()

    def _store_snapshot(self, event: Event) -> str | None:
        if not event.snapshot_jpeg:
            return None
        path = snapshot_path(self._snapshots_dir, event.camera_id, event.started_at, event.event_id)
        try:
            write_atomically(path, event.snapshot_jpeg)
        except OSError as exc:
            self._snapshot_errors += 1
            log.warning("cannot write snapshot %s: %s; event stored without it", path, exc)
            return None
        return str(path)

    def _queue_webhooks(
        self, connection: Connection, merged: Sequence[MergedEvent], rows: Sequence[dict[str, Any]]
    ) -> int:
        now = utc(self._clock())
        deliveries = [
            {
                "event_id": m.event.event_id,
                "phase": phase,
                "rule_id": m.event.rule_id,
                "url": hook.url,
                "payload": webhook_payload(row, phase),
                "attempts": 0,
                "max_attempts": hook.max_attempts,
                "next_attempt_at": now,
                "state": "pending",
                "created_at": now,
            }
            for m, row in zip(merged, rows, strict=True)
            for hook in self._webhooks.get(m.event.rule_id, ())
            for phase in ("open", "closed")
            if phase in m.phases
        ]
        if not deliveries:
            return 0
        enqueue_deliveries(connection, deliveries)
        evicted = evict_outbox_overflow(connection, self._outbox_cap, now)
        if evicted:
            self._outbox_evicted += evicted
            log.warning(
                "webhook outbox over %d pending deliveries: %d oldest marked dead (%d so far)",
                self._outbox_cap,
                evicted,
                self._outbox_evicted,
            )
        return len(deliveries)

    def _maybe_prune(self) -> None:
        if self._retention is None:
            return
        now = self._clock()
        if now - self._last_prune < self._prune_interval_s:
            return
        self._last_prune = now
        try:
            prune(self._db, self._snapshots_dir, self._retention, now)
        except (SQLAlchemyError, OSError) as exc:
            log.warning(
                "retention pass on %s failed: %s; retrying later", self._db.display_url, exc
            )


def open_writer(
    location: StoreLocation,
    store: StoreConfig,
    webhooks_by_rule: Mapping[str, Sequence[WebhookConfig]],
) -> StoreWriter:
    """A writer for a fleet's store section (not yet started): buffer size and retention from
    ``store``, snapshots under the location's data directory. The database is contacted on the
    writer thread, so an unreachable one buffers instead of failing here."""
    db = open_database(location.url, location.data_dir, connect=False)
    return StoreWriter(
        db,
        location.snapshots_dir,
        webhooks_by_rule,
        buffer_size=store.buffer_size,
        retention=RetentionPolicy.from_config(store),
    )
