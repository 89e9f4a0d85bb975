"""The store writer: takes events and counts from analytics without blocking and persists them
in batches on its own thread.

``put_event``, ``put_counts`` and ``put_marker`` return at once and never raise. Records go to
a bounded buffer; a writer thread takes up to ``batch_max`` of them (waiting at most
``flush_interval_s`` for a full batch) and commits them in one transaction
(:mod:`camfleet.store.batch`). When the database is unavailable the batch in hand is retried
with exponential backoff while new records keep buffering; when the buffer is full the
**oldest** record is dropped, counted in ``stats.dropped`` and logged (at most every 10 s).
``close()`` flushes everything buffered.

Commit markers (:mod:`camfleet.store.markers`) report capture -> committed latency to the
listener set with ``set_commit_listener`` once everything put before them has committed.
Webhook deliveries are queued by :mod:`camfleet.store.outbox` and delivered by a
:class:`WebhookDispatcher`; ``set_webhooks`` replaces the rule -> webhooks map at run time.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from camfleet.config import FleetConfig, StoreConfig, WebhookConfig
from camfleet.events import CountDelta, Event
from camfleet.store.batch import BatchCommitter
from camfleet.store.buffer import DropOldestBuffer
from camfleet.store.database import Database, open_database
from camfleet.store.location import StoreLocation
from camfleet.store.markers import CommitListener, CommitMarkers
from camfleet.store.outbox import Outbox
from camfleet.store.retention import PruneSchedule, RetentionPolicy, as_snapshot_store
from camfleet.store.retry import TRANSIENT_ERRORS, RateLimitedWarning, backoff_delay, one_line
from camfleet.store.snapshot_store import SnapshotStore, open_snapshot_store
from camfleet.store.webhooks import WebhookDispatcher

__all__ = ["StoreWriter", "WriterStats", "open_writer"]

log = logging.getLogger(__name__)

# A batch the database keeps rejecting for another reason (bad data) is split after this many
# tries, so one poisoned record cannot stall the store.
_MAX_TRIES_NON_TRANSIENT = 3
_LOG_EVERY_S = 10.0
# At close, deliveries due now (an event closed by the shutdown) get this long to go out.
_DRAIN_WEBHOOKS_S = 5.0


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


def _describe(item: Event | CountDelta) -> str:
    if isinstance(item, Event):
        return f"event {item.event_id!r} of rule {item.rule_id!r}"
    return f"count of {item.class_name!r} in {item.region!r} on camera {item.camera_id!r}"


class StoreWriter:
    """Persists :class:`Event` and :class:`CountDelta` records; implements ``EventWriter``.

    ``snapshots`` is the snapshot store (a directory means the local store there). Webhook
    deliveries are queued in the outbox for every rule in ``webhooks_by_rule``; a
    :class:`WebhookDispatcher` thread (``dispatcher``, or a default one) delivers them unless
    ``deliver_webhooks`` is False (another process delivers from the same outbox).
    Retention runs every ``prune_interval_s`` when a ``retention`` policy is given.
    ``stats.written_events`` counts event records (an open and its close are two).
    """

    def __init__(
        self,
        db: Database,
        snapshots: SnapshotStore | Path,
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
        store = as_snapshot_store(snapshots)
        self._outbox = Outbox(webhooks_by_rule, outbox_cap)
        self._committer = BatchCommitter(db, store, self._outbox, clock)
        self._prune = PruneSchedule(db, store, retention, prune_interval_s, clock)
        self._buffer: DropOldestBuffer[Event | CountDelta] = DropOldestBuffer(
            buffer_size, wake_at=batch_max
        )
        self._markers = CommitMarkers(buffer_size)
        self._batch_max = batch_max
        self._flush_interval_s = flush_interval_s
        self._retry_base_s = retry_base_s
        self._retry_cap_s = retry_cap_s
        self._upgrade = upgrade
        self._clock = clock
        self._deliver_webhooks = deliver_webhooks
        self._dispatcher = dispatcher if deliver_webhooks else None
        if self._dispatcher is None and self._outbox.webhooks and deliver_webhooks:
            self._dispatcher = WebhookDispatcher(db, clock, webhooks_by_rule=self._outbox.webhooks)
        self._dispatcher_lock = threading.Lock()
        self._migrated = False
        self._fleet: FleetConfig | None = None
        self._in_hand: list[Event | CountDelta] = []
        self._in_hand_through = 0  # records [0, this) are taken or dropped
        self._thread: threading.Thread | None = None
        self._closing = threading.Event()
        self._stop_now = threading.Event()
        self._warn_drop = RateLimitedWarning(log, _LOG_EVERY_S)
        self._warn_retry = RateLimitedWarning(log, _LOG_EVERY_S)
        self._written_events = 0
        self._written_counts = 0
        self._lost = 0
        self._lost_lock = threading.Lock()
        self._retries = 0
        self._last_error: str | None = None

    # -- producer side: never blocks, never raises -------------------------------------------

    def put_event(self, event: Event) -> None:
        self._put((event,))

    def put_counts(self, deltas: Sequence[CountDelta]) -> None:
        if deltas:
            self._put(deltas)

    def put_marker(self, camera_id: str, captured_at: float) -> None:
        """Report ``(camera_id, time.monotonic() - captured_at)`` to the commit listener once
        everything put before this call is committed (``captured_at``: monotonic seconds)."""
        if not self._closing.is_set():
            self._markers.put(self._buffer.put_total, camera_id, captured_at)

    def set_commit_listener(self, listener: CommitListener | None) -> None:
        """Called on the writer thread for each committed marker; None stops reporting."""
        self._markers.set_listener(listener)

    def set_webhooks(self, webhooks_by_rule: Mapping[str, Sequence[WebhookConfig]]) -> None:
        """Replace the rule -> webhooks map: deliveries queued from now on follow it, and this
        writer's dispatcher claims only deliveries of the rules in it."""
        self._outbox.set_webhooks(webhooks_by_rule)
        webhooks = self._outbox.webhooks
        with self._dispatcher_lock:
            if self._dispatcher is not None:
                self._dispatcher.set_webhooks(webhooks)
            elif webhooks and self._deliver_webhooks and not self._closing.is_set():
                self._dispatcher = WebhookDispatcher(
                    self._db, self._clock, webhooks_by_rule=webhooks
                )
                if self._migrated:
                    self._dispatcher.start()

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
            outbox_evicted=self._outbox.evicted,
            snapshot_errors=self._committer.snapshot_errors,
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
        """Flush everything buffered (waiting up to ``timeout`` seconds), give the webhook
        deliveries due now a few seconds to go out, then stop.

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
        with self._dispatcher_lock:
            dispatcher = self._dispatcher
        if dispatcher is not None:
            dispatcher.close(timeout=5.0, drain_s=_DRAIN_WEBHOOKS_S)
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
        with self._dispatcher_lock:
            self._migrated = True
            if self._dispatcher is not None:
                self._dispatcher.start()
        while True:
            if not self._in_hand:
                wait = 0.0 if self._closing.is_set() else self._flush_interval_s
                self._in_hand = self._buffer.take(self._batch_max, wait)
                self._in_hand_through = self._buffer.removed_total
            through = self._in_hand_through
            if self._in_hand or self._fleet is not None or self._markers.any_due(through):
                if not self._retry_until_done(self._write_in_hand):
                    return
                self._markers.report(through)
            self._prune.maybe_prune()
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
                self._last_error = one_line(exc)
                if not isinstance(exc, TRANSIENT_ERRORS) and tries >= _MAX_TRIES_NON_TRANSIENT:
                    self._salvage_in_hand(exc)
                    tries = 0
                    if not self._in_hand:
                        return True
                    continue
                delay = backoff_delay(tries, self._retry_base_s, self._retry_cap_s)
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
            except TRANSIENT_ERRORS:
                self._in_hand = batch
                return
            except Exception as exc:
                log.error(
                    "store %s rejected the cameras/models of the fleet config: %s",
                    self._db.display_url,
                    one_line(exc),
                )
                self._fleet = None
        for index, item in enumerate(batch):
            self._in_hand = [item]
            try:
                self._write_in_hand()
            except TRANSIENT_ERRORS:
                self._in_hand = batch[index:]
                break
            except Exception as exc:
                rejected += 1
                self._in_hand = []
                log.error(
                    "store %s rejected %s, dropping it: %s",
                    self._db.display_url,
                    _describe(item),
                    one_line(exc),
                )
        if rejected:
            self._count_lost(rejected)
            log.error(
                "store %s: dropped %d of a batch of %d records after: %s",
                self._db.display_url,
                rejected,
                len(batch),
                one_line(batch_error),
            )

    def _write_in_hand(self) -> None:
        fleet = self._fleet
        committed = self._committer.commit(self._in_hand, fleet)
        if fleet is self._fleet:
            self._fleet = None
        self._written_events += committed.events
        self._written_counts += committed.counts
        self._in_hand = []
        dispatcher = self._dispatcher
        if committed.deliveries and dispatcher is not None:
            dispatcher.wake()


def open_writer(
    location: StoreLocation,
    store: StoreConfig,
    webhooks_by_rule: Mapping[str, Sequence[WebhookConfig]],
) -> StoreWriter:
    """A writer for a fleet's store section (not yet started): buffer size, retention and the
    snapshot store from ``store``, a local snapshot store under the location's data directory
    by default. The database is contacted on the writer thread, so an unreachable one buffers
    instead of failing here."""
    db = open_database(location.url, location.data_dir, connect=False)
    return StoreWriter(
        db,
        open_snapshot_store(store.snapshot_store, location.data_dir),
        webhooks_by_rule,
        buffer_size=store.buffer_size,
        retention=RetentionPolicy.from_config(store),
    )
