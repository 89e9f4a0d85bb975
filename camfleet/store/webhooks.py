"""Delivering events to webhooks from the database outbox, on a thread of its own.

Each outbox row is one POST of one event state to one URL. The dispatcher claims due rows
(``FOR UPDATE SKIP LOCKED`` on PostgreSQL, so several workers can share an outbox; one UPDATE
statement on SQLite) of the rules it was given webhooks for, and no others: workers that share
an outbox but run different cameras each deliver their own rules' rows (with their secrets),
so a row is never dead-lettered because a worker that does not know its rule claimed it. A
dispatcher built without a map (``webhooks_by_rule=None``) claims every rule's rows and sends
them unsigned. A row whose rule is known but whose URL is no longer configured is ``dead``.
The map can be replaced at run time with ``set_webhooks``. A row of a rule no running worker
knows stays pending until the outbox cap evicts it. Claimed rows are POSTed with httpx and the
outcome recorded: ``delivered`` with ``delivered_at``, or ``pending`` again after
``min(base * 2**attempts, cap)`` seconds (times a random factor in [0.5, 1] unless jitter is
off), or ``dead`` after the row's ``max_attempts``.
A claim leases the row for ``lease_s``, so a dispatcher that dies mid-delivery leaves it to be
retried after a restart: delivery is at least once, and receivers dedupe on the
``X-Camfleet-Delivery`` header.

Headers: ``X-Camfleet-Signature: sha256=<hex HMAC-SHA256 of the raw body with the webhook's
secret>`` (absent without a secret), ``X-Camfleet-Event-Id``, ``X-Camfleet-Event-State``
(``open``/``closed``), ``X-Camfleet-Delivery`` (the outbox row id) and ``X-Camfleet-Timestamp``
(Unix seconds of the attempt). The signature covers the body only; receivers that want
replay protection compare ``X-Camfleet-Timestamp`` with their clock and dedupe on the delivery id.

Body (JSON): ``event_id``, ``state`` (``open``/``closed``), ``camera_id``, ``model_id``,
``rule_id``, ``kind``, ``class_name``, ``region``, ``track_ids``, ``started_at``/``ended_at``
(ISO 8601, UTC), ``duration_s``, ``max_confidence``, ``attributes``, ``snapshot_path``: the
event as stored when the delivery was queued.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import random
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import httpx
from sqlalchemy import select, true, update

from camfleet.config import WebhookConfig
from camfleet.store.database import Database
from camfleet.store.records import utc
from camfleet.store.schema import OutboxRow

__all__ = ["Backoff", "DispatcherStats", "WebhookDispatcher", "sign"]

log = logging.getLogger(__name__)


def sign(body: bytes, secret: str) -> str:
    """The ``X-Camfleet-Signature`` value for ``body``."""
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


@dataclass(frozen=True, slots=True)
class Backoff:
    """Exponential backoff: ``min(base_s * 2**attempts, cap_s)``, optionally jittered."""

    base_s: float = 2.0
    cap_s: float = 600.0
    jitter: bool = True

    def delay(self, attempts: int, rng: random.Random) -> float:
        delay = min(self.base_s * 2.0 ** min(attempts, 60), self.cap_s)
        return delay * rng.uniform(0.5, 1.0) if self.jitter else delay


@dataclass(frozen=True, slots=True)
class DispatcherStats:
    delivered: int
    failed_attempts: int
    dead: int
    last_error: str | None


@dataclass(frozen=True, slots=True)
class _Claimed:
    id: int
    event_id: str
    phase: str
    rule_id: str
    url: str
    payload: dict[str, Any]
    attempts: int
    max_attempts: int


@dataclass(frozen=True, slots=True)
class _Outcome:
    error: str | None
    retry: bool


class WebhookDispatcher:
    """Posts due outbox rows; ``start()`` runs it on a daemon thread, ``run_once()`` inline."""

    def __init__(
        self,
        db: Database,
        clock: Callable[[], float] = time.time,
        *,
        webhooks_by_rule: Mapping[str, Sequence[WebhookConfig]] | None = None,
        backoff: Backoff | None = None,
        timeout_s: float = 10.0,
        lease_s: float = 120.0,
        claim_batch: int = 20,
        poll_interval_s: float = 1.0,
        transport: httpx.BaseTransport | None = None,
        seed: int | None = None,
    ) -> None:
        self._db = db
        self._clock = clock
        self._secrets: dict[tuple[str, str], str | None] = {}
        self._rules: tuple[str, ...] | None = None
        if webhooks_by_rule is not None:
            self.set_webhooks(webhooks_by_rule)
        self._backoff = backoff or Backoff()
        self._lease = timedelta(seconds=lease_s)
        self._claim_batch = claim_batch
        self._poll_interval_s = poll_interval_s
        self._client = httpx.Client(timeout=timeout_s, transport=transport, follow_redirects=False)
        self._rng = random.Random(seed)
        self._wake = threading.Event()
        self._stopping = threading.Event()
        self._drain = threading.Event()
        self._drained = threading.Event()
        self._thread: threading.Thread | None = None
        self._delivered = 0
        self._failed = 0
        self._dead = 0
        self._last_error: str | None = None

    @property
    def stats(self) -> DispatcherStats:
        return DispatcherStats(self._delivered, self._failed, self._dead, self._last_error)

    def set_webhooks(self, webhooks_by_rule: Mapping[str, Sequence[WebhookConfig]]) -> None:
        """Claim only deliveries of these rules from now on, signed with these secrets."""
        secrets = {
            (rule_id, hook.url): hook.secret
            for rule_id, hooks in webhooks_by_rule.items()
            for hook in hooks
        }
        # One assignment each: the dispatcher thread reads them without a lock.
        self._rules = tuple(sorted({rule_id for rule_id, _url in secrets}))
        self._secrets = secrets

    def start(self) -> None:
        if self._thread is not None:
            raise RuntimeError("WebhookDispatcher.start() called twice")
        self._thread = threading.Thread(target=self._run, name="camfleet-webhooks", daemon=True)
        self._thread.start()

    def wake(self) -> None:
        """Look for due deliveries now instead of at the next poll."""
        self._wake.set()

    def close(self, timeout: float = 10.0, drain_s: float = 0.0) -> None:
        """Stop after the delivery in progress; undelivered rows stay queued in the database.

        With ``drain_s``, first deliver what is due now (the closes a shutdown just queued)
        for up to that long; rows waiting for a retry are left for the next run."""
        if drain_s > 0 and self._thread is not None and self._thread.is_alive():
            self._drained.clear()
            self._drain.set()
            self._wake.set()
            self._drained.wait(drain_s)
        self._stopping.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout)
        self._client.close()

    def run_once(self) -> int:
        """Claim and attempt every due delivery (up to one claim batch); return how many."""
        now = self._clock()
        claimed = self._claim(now)
        for row in claimed:
            if self._stopping.is_set() and self._thread is not None:
                break  # the lease expires and a later run retries it
            self._record(row, self._attempt(row, now), now)
        return len(claimed)

    def _run(self) -> None:
        failures = 0
        while not self._stopping.is_set():
            draining = self._drain.is_set()  # only a pass begun after the request counts
            try:
                handled = self.run_once()
                failures = 0
            except Exception as exc:  # the thread outlives an outage or a bad row
                failures += 1
                handled = 0
                self._last_error = str(exc).strip().splitlines()[0] if str(exc) else repr(exc)
                delay = min(self._poll_interval_s * 2**failures, 30.0)
                log.warning(
                    "webhook outbox in %s: %s; retrying in %.1f s",
                    self._db.display_url,
                    self._last_error,
                    delay,
                )
                self._wake.wait(delay)
            if handled == 0 and draining:
                self._drained.set()
            if handled == 0:
                self._wake.wait(self._poll_interval_s)
                self._wake.clear()

    def _claim(self, now: float) -> list[_Claimed]:
        at = utc(now)
        rules = self._rules
        if rules is not None and not rules:
            return []
        mine = OutboxRow.rule_id.in_(rules) if rules is not None else true()
        due = (
            select(OutboxRow.id)
            .where(OutboxRow.state == "pending", OutboxRow.next_attempt_at <= at, mine)
            .order_by(OutboxRow.next_attempt_at, OutboxRow.id)
            .limit(self._claim_batch)
            .with_for_update(skip_locked=True)
            .scalar_subquery()
        )
        stmt = (
            update(OutboxRow)
            .where(OutboxRow.id.in_(due))
            .values(next_attempt_at=at + self._lease)
            .returning(
                OutboxRow.id,
                OutboxRow.event_id,
                OutboxRow.phase,
                OutboxRow.rule_id,
                OutboxRow.url,
                OutboxRow.payload,
                OutboxRow.attempts,
                OutboxRow.max_attempts,
            )
        )
        with self._db.engine.begin() as connection:
            rows = connection.execute(stmt).all()
        claimed = [_Claimed(*row) for row in rows]
        return sorted(claimed, key=lambda row: row.id)

    def _attempt(self, row: _Claimed, now: float) -> _Outcome:
        key = (row.rule_id, row.url)
        secrets = self._secrets
        if self._rules is not None and key not in secrets:
            why = f"webhook {row.url} is no longer configured for rule {row.rule_id!r}"
            return _Outcome(why, retry=False)
        body = json.dumps(row.payload, sort_keys=True, separators=(",", ":")).encode()
        headers = {
            "Content-Type": "application/json",
            "User-Agent": "camfleet-webhooks",
            "X-Camfleet-Event-Id": row.event_id,
            "X-Camfleet-Event-State": row.phase,
            "X-Camfleet-Delivery": str(row.id),
            "X-Camfleet-Timestamp": str(int(now)),
        }
        secret = secrets.get(key)
        if secret:
            headers["X-Camfleet-Signature"] = sign(body, secret)
        try:
            response = self._client.post(row.url, content=body, headers=headers)
        except httpx.HTTPError as exc:
            return _Outcome(f"{type(exc).__name__}: {exc}", retry=True)
        if response.is_success:
            return _Outcome(None, retry=False)
        return _Outcome(f"HTTP {response.status_code} from {row.url}", retry=True)

    def _record(self, row: _Claimed, outcome: _Outcome, now: float) -> None:
        attempts = row.attempts + 1
        at = utc(now)
        error = outcome.error
        values: dict[str, Any]
        if error is None:
            values = {"state": "delivered", "delivered_at": at, "last_error": None}
            self._delivered += 1
        elif attempts >= row.max_attempts or not outcome.retry:
            values = {"state": "dead", "last_error": error}
            self._failed += 1
            self._dead += 1
            self._last_error = error
            log.warning(
                "webhook %s for event %s is dead after %d attempts: %s",
                row.url,
                row.event_id,
                attempts,
                error,
            )
        else:
            delay = self._backoff.delay(attempts, self._rng)
            values = {
                "state": "pending",
                "last_error": error,
                "next_attempt_at": at + timedelta(seconds=delay),
            }
            self._failed += 1
            self._last_error = error
        with self._db.engine.begin() as connection:
            connection.execute(
                update(OutboxRow).where(OutboxRow.id == row.id).values(attempts=attempts, **values)
            )
