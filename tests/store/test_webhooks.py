"""Webhook delivery from the outbox to a real HTTP receiver on loopback."""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Callable
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from camfleet.config import WebhookConfig
from camfleet.events import Event
from camfleet.store.database import Database
from camfleet.store.records import utc
from camfleet.store.schema import OutboxRow
from camfleet.store.webhooks import Backoff, WebhookDispatcher
from camfleet.store.writer import StoreWriter

from .helpers import T0, Receiver, make_event, wait_until

SECRET = "s3cret"
RULE = "cam-1/fall"


class FakeClock:
    def __init__(self, now: float) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


def _hooks(receiver: Receiver, max_attempts: int = 5) -> dict[str, list[WebhookConfig]]:
    return {RULE: [WebhookConfig(url=receiver.url, secret=SECRET, max_attempts=max_attempts)]}


def _queue(
    db: Database,
    tmp_path: Path,
    hooks: dict[str, list[WebhookConfig]],
    *events: Event,
    outbox_cap: int = 100,
) -> StoreWriter:
    """Store ``events`` one batch each, queueing deliveries stamped at ``T0``."""
    writer = StoreWriter(
        db,
        tmp_path / "snaps",
        hooks,
        batch_max=1,
        flush_interval_s=0.01,
        outbox_cap=outbox_cap,
        deliver_webhooks=False,
        clock=FakeClock(T0),
    )
    writer.start()
    for event in events:
        writer.put_event(event)
    writer.close()
    return writer


def _outbox(db: Database) -> list[OutboxRow]:
    with Session(db.engine, expire_on_commit=False) as session:
        return list(session.scalars(select(OutboxRow).order_by(OutboxRow.id)))


def _dispatcher(
    db: Database, clock: FakeClock, hooks: dict[str, list[WebhookConfig]]
) -> WebhookDispatcher:
    return WebhookDispatcher(
        db, clock, webhooks_by_rule=hooks, backoff=Backoff(base_s=1.0, cap_s=60.0, jitter=False)
    )


def test_fails_twice_then_delivers_once_across_restarts(
    db_url: str, open_db: Callable[..., Database], receiver: Receiver, tmp_path: Path
) -> None:
    receiver.fail_first = 2
    hooks = _hooks(receiver)
    db = open_db(db_url)
    _queue(db, tmp_path, hooks, make_event(), make_event())  # a replay queues nothing new
    clock = FakeClock(T0 + 100)

    first = _dispatcher(db, clock, hooks)
    assert first.run_once() == 1  # attempt 1: HTTP 500
    assert first.run_once() == 0  # not due yet: backoff 1 * 2**1 = 2 s
    first.close()
    db.dispose()

    db = open_db(db_url)  # a restart: the outbox state is in the database
    second = _dispatcher(db, clock, hooks)
    clock.now += 2.0
    assert second.run_once() == 1  # attempt 2: HTTP 500, next in 1 * 2**2 = 4 s
    clock.now += 3.9
    assert second.run_once() == 0
    clock.now += 0.1
    assert second.run_once() == 1  # attempt 3: accepted
    clock.now += 3600
    assert second.run_once() == 0  # nothing is delivered twice
    second.close()

    assert [status for _, _, status in receiver.requests] == [500, 500, 200]
    bodies = {body for _, body, _ in receiver.requests}
    assert len(bodies) == 1
    headers, body, _ = receiver.requests[-1]
    expected = hmac.new(SECRET.encode(), body, hashlib.sha256).hexdigest()
    assert headers["x-camfleet-signature"] == f"sha256={expected}"
    assert headers["x-camfleet-event-id"] == "cam-1/fall/1"
    assert headers["x-camfleet-event-state"] == "open"
    assert int(headers["x-camfleet-timestamp"]) == int(clock.now - 3600)
    payload = json.loads(body)
    assert payload["event_id"] == "cam-1/fall/1"
    assert payload["rule_id"] == RULE
    assert payload["state"] == "open"
    [row] = _outbox(db)
    assert (row.state, row.attempts, row.last_error) == ("delivered", 3, None)
    assert row.delivered_at == utc(clock.now - 3600)


def test_dead_after_max_attempts(db: Database, receiver: Receiver, tmp_path: Path) -> None:
    receiver.fail_first = 10**6
    hooks = _hooks(receiver, max_attempts=3)
    _queue(db, tmp_path, hooks, make_event(ended_at=T0 + 2))
    clock = FakeClock(T0)
    dispatcher = _dispatcher(db, clock, hooks)
    for _ in range(10):
        dispatcher.run_once()
        clock.now += 1000
    dispatcher.close()
    [row] = _outbox(db)
    assert (row.state, row.attempts, row.phase) == ("dead", 3, "closed")
    assert row.last_error is not None and "HTTP 500" in row.last_error
    assert len(receiver.requests) == 3
    assert dispatcher.stats.dead == 1


def test_writer_delivers_open_and_close_on_its_own_thread(
    db: Database, receiver: Receiver, tmp_path: Path
) -> None:
    receiver.fail_first = 2
    hooks = _hooks(receiver)
    dispatcher = WebhookDispatcher(
        db,
        webhooks_by_rule=hooks,
        backoff=Backoff(0.05, 0.2, jitter=False),
        poll_interval_s=0.05,
    )
    writer = StoreWriter(
        db, tmp_path / "snaps", hooks, batch_max=1, flush_interval_s=0.01, dispatcher=dispatcher
    )
    writer.start()
    try:
        writer.put_event(make_event())
        assert wait_until(lambda: writer.stats.written_events == 1)
        writer.put_event(make_event(ended_at=T0 + 3, max_confidence=0.9))
        assert wait_until(
            lambda: sum(1 for _, _, status in receiver.requests if status == 200) == 2
        )
    finally:
        writer.close()
    delivered = [json.loads(body) for _, body, status in receiver.requests if status == 200]
    assert sorted(p["state"] for p in delivered) == ["closed", "open"]
    closed = next(p for p in delivered if p["state"] == "closed")
    assert closed["duration_s"] == pytest.approx(3.0)
    assert closed["max_confidence"] == pytest.approx(0.9)
    assert [row.state for row in _outbox(db)] == ["delivered", "delivered"]
    assert len(receiver.requests) == 4


def test_outbox_is_bounded(db: Database, receiver: Receiver, tmp_path: Path) -> None:
    hooks = _hooks(receiver)
    events = [make_event(f"e{i}") for i in range(5)]
    writer = _queue(db, tmp_path, hooks, *events, outbox_cap=2)
    rows = _outbox(db)
    assert [row.state for row in rows] == ["dead", "dead", "dead", "pending", "pending"]
    assert all("evicted" in (row.last_error or "") for row in rows[:3])
    assert writer.stats.outbox_evicted == 3


def test_two_dispatchers_never_claim_the_same_delivery(
    db: Database, receiver: Receiver, tmp_path: Path
) -> None:
    hooks = _hooks(receiver)
    _queue(db, tmp_path, hooks, *[make_event(f"e{i}") for i in range(6)])
    clock = FakeClock(T0)
    first, second = (
        WebhookDispatcher(db, clock, webhooks_by_rule=hooks, claim_batch=4) for _ in range(2)
    )
    a = {row.id for row in first._claim(clock())}
    b = {row.id for row in second._claim(clock())}
    first.close()
    second.close()
    assert len(a) == 4 and len(b) == 2 and not a & b
