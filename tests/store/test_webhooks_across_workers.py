"""Workers sharing one outbox, each with webhooks for its own cameras' rules: every delivery is
delivered by the worker that knows its rule, none is dead-lettered (issue 10)."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from collections import Counter
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from camfleet.config import WebhookConfig
from camfleet.store.database import Database
from camfleet.store.schema import OutboxRow
from camfleet.store.webhooks import Backoff, WebhookDispatcher
from camfleet.store.writer import StoreWriter

from .helpers import Receiver, make_event, wait_until

EVENTS_PER_CAMERA = 10


def _outbox_states(db: Database) -> Counter[tuple[str, str]]:
    with Session(db.engine) as session:
        rows = session.execute(select(OutboxRow.rule_id, OutboxRow.state)).all()
    return Counter((rule, state) for rule, state in rows)


def _writer(db: Database, tmp_path: Path, hooks: dict[str, list[WebhookConfig]]) -> StoreWriter:
    dispatcher = WebhookDispatcher(
        db, webhooks_by_rule=hooks, backoff=Backoff(0.05, 0.2, jitter=False), poll_interval_s=0.05
    )
    return StoreWriter(db, tmp_path / "snaps", hooks, flush_interval_s=0.01, dispatcher=dispatcher)


def test_two_writers_deliver_only_their_own_rules(
    db: Database, receiver: Receiver, tmp_path: Path
) -> None:
    hooks = {
        camera: {f"{camera}/fall": [WebhookConfig(url=f"{receiver.url}/{camera}", secret=camera)]}
        for camera in ("cam-a", "cam-b")
    }
    writers = [_writer(db, tmp_path, hooks[camera]) for camera in ("cam-a", "cam-b")]
    for writer in writers:
        writer.start()
    try:
        for i in range(EVENTS_PER_CAMERA):
            for camera, writer in zip(("cam-a", "cam-b"), writers, strict=True):
                writer.put_event(make_event(f"{camera}-{i}", camera_id=camera, ended_at=1e9 + i))
        expected = 2 * EVENTS_PER_CAMERA
        assert wait_until(lambda: sum(w.dispatcher.stats.delivered for w in writers) == expected)  # type: ignore[union-attr]
    finally:
        for writer in writers:
            writer.close()
    assert _outbox_states(db) == {
        ("cam-a/fall", "delivered"): EVENTS_PER_CAMERA,
        ("cam-b/fall", "delivered"): EVENTS_PER_CAMERA,
    }
    for writer in writers:
        assert writer.dispatcher is not None
        assert writer.dispatcher.stats.delivered == EVENTS_PER_CAMERA
        assert writer.dispatcher.stats.dead == 0
    paths = Counter(
        headers["x-camfleet-event-id"].split("-")[1] for headers, _, _ in receiver.requests
    )
    assert paths == {"a": EVENTS_PER_CAMERA, "b": EVENTS_PER_CAMERA}


def test_two_dispatchers_facing_a_shared_backlog_deliver_all_of_it(
    db: Database, receiver: Receiver, tmp_path: Path
) -> None:
    """Both cameras' deliveries are pending before either dispatcher runs (a restart, an
    outage): whichever claims first must leave the other's rows alone."""
    hooks = {
        camera: {f"{camera}/fall": [WebhookConfig(url=f"{receiver.url}/{camera}", secret=camera)]}
        for camera in ("cam-a", "cam-b")
    }
    queued = StoreWriter(
        db, tmp_path / "snaps", hooks["cam-a"] | hooks["cam-b"], deliver_webhooks=False
    )
    queued.start()
    for i in range(EVENTS_PER_CAMERA):
        for camera in ("cam-a", "cam-b"):
            queued.put_event(make_event(f"{camera}-{i}", camera_id=camera, ended_at=1e9 + i))
    queued.close()
    dispatchers = [
        WebhookDispatcher(db, webhooks_by_rule=hooks[camera], poll_interval_s=0.05)
        for camera in ("cam-a", "cam-b")
    ]
    for dispatcher in dispatchers:
        dispatcher.start()
    try:
        assert wait_until(lambda: len(receiver.requests) >= 2 * EVENTS_PER_CAMERA)
    finally:
        for dispatcher in dispatchers:
            dispatcher.close()
    assert [d.stats.dead for d in dispatchers] == [0, 0]
    assert [d.stats.delivered for d in dispatchers] == [EVENTS_PER_CAMERA, EVENTS_PER_CAMERA]
    assert _outbox_states(db) == {
        ("cam-a/fall", "delivered"): EVENTS_PER_CAMERA,
        ("cam-b/fall", "delivered"): EVENTS_PER_CAMERA,
    }


def test_webhooks_set_at_run_time_are_queued_and_delivered(
    db: Database, receiver: Receiver, tmp_path: Path
) -> None:
    writer = StoreWriter(db, tmp_path / "snaps", {}, flush_interval_s=0.01)
    writer.start()
    try:
        writer.put_event(make_event("before", ended_at=1e9))
        assert wait_until(lambda: writer.stats.written_events == 1)
        assert writer.dispatcher is None  # nothing to deliver yet
        writer.set_webhooks({"cam-1/fall": [WebhookConfig(url=receiver.url)]})
        writer.put_event(make_event("after", ended_at=1e9))
        assert wait_until(lambda: len(receiver.requests) == 1)
    finally:
        writer.close()
    [(headers, _, status)] = receiver.requests
    assert (headers["x-camfleet-event-id"], status) == ("after", 200)
    assert _outbox_states(db) == {("cam-1/fall", "delivered"): 1}


_WORKER = textwrap.dedent(
    """
    import sys, time
    from pathlib import Path
    from camfleet.config import WebhookConfig
    from camfleet.events import Event
    from camfleet.store.database import open_database
    from camfleet.store.writer import StoreWriter

    url, data_dir, camera, hook_url, n = sys.argv[1:6]
    db = open_database(url, Path(data_dir))
    rule = f"{camera}/fall"
    writer = StoreWriter(db, Path(data_dir) / "snaps", {rule: [WebhookConfig(url=hook_url)]},
                         flush_interval_s=0.01)
    writer.start()
    for i in range(int(n)):
        writer.put_event(Event(event_id=f"{camera}-{i}", camera_id=camera, model_id="default",
                               rule_id=rule, kind="presence", class_name="Fall",
                               started_at=1e9 + i, ended_at=1e9 + i + 1, max_confidence=0.5))
    deadline = time.monotonic() + 60
    while writer.dispatcher.stats.delivered < int(n) and time.monotonic() < deadline:
        time.sleep(0.05)
    writer.close()
    print(writer.dispatcher.stats.delivered, writer.dispatcher.stats.dead)
    """
)


def test_two_worker_processes_share_one_outbox(
    db: Database, db_url: str, receiver: Receiver, tmp_path: Path
) -> None:
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[2])}
    workers = [
        subprocess.Popen(
            [
                sys.executable,
                "-c",
                _WORKER,
                db_url,
                str(tmp_path / camera),
                camera,
                f"{receiver.url}/{camera}",
                str(EVENTS_PER_CAMERA),
            ],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=env,
        )
        for camera in ("cam-a", "cam-b")
    ]
    outputs = [worker.communicate(timeout=120) for worker in workers]
    for worker, (out, err) in zip(workers, outputs, strict=True):
        assert worker.returncode == 0, err
        assert out.split() == [str(EVENTS_PER_CAMERA), "0"]  # delivered, dead
    assert _outbox_states(db) == {
        ("cam-a/fall", "delivered"): EVENTS_PER_CAMERA,
        ("cam-b/fall", "delivered"): EVENTS_PER_CAMERA,
    }
    assert len(receiver.requests) == 2 * EVENTS_PER_CAMERA


@pytest.mark.parametrize("known", [True, False])
def test_a_dispatcher_never_claims_a_rule_it_does_not_know(
    db: Database, receiver: Receiver, tmp_path: Path, known: bool
) -> None:
    hooks = {"cam-1/fall": [WebhookConfig(url=receiver.url)]}
    queued = StoreWriter(
        db, tmp_path / "snaps", hooks, flush_interval_s=0.01, deliver_webhooks=False
    )
    queued.start()
    queued.put_event(make_event("e1", ended_at=1e9))
    queued.close()
    other = {("cam-1/fall" if known else "cam-2/fall"): [WebhookConfig(url=receiver.url)]}
    dispatcher = WebhookDispatcher(db, webhooks_by_rule=other)
    handled = dispatcher.run_once()
    dispatcher.close()
    assert handled == (1 if known else 0)
    state = "delivered" if known else "pending"
    assert _outbox_states(db) == {("cam-1/fall", state): 1}
