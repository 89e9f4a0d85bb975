"""A private PostgreSQL cluster stopped for 20 s while a writer keeps receiving records, then
started again: the writer buffers (bounded, losses counted), reconnects, and nothing is stored
twice or lost without being counted (issue 10, store side)."""

from __future__ import annotations

import contextlib
import glob
import os
import shutil
import socket
import subprocess
import tempfile
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from sqlalchemy import func, select

from camfleet.events import CountDelta
from camfleet.store.database import open_database
from camfleet.store.schema import CountRow, EventRow
from camfleet.store.writer import StoreWriter

from .helpers import T0, make_event, wait_until

pytestmark = pytest.mark.postgres

OUTAGE_S = 20.0
RATE_PER_S = 50  # records put per second, before, during and after the outage
BUFFER = 400  # smaller than what the outage brings, so some records must be dropped


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@dataclass
class PrivateCluster:
    """A PostgreSQL cluster of this test's own: initdb'd in a temporary folder, run by the
    ``postgres`` user when the test runs as root (PostgreSQL refuses to run as root)."""

    bin_dir: Path
    root: Path
    port: int

    @property
    def url(self) -> str:
        return f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/postgres"

    def _run(self, *args: str) -> None:
        command = [str(self.bin_dir / args[0]), *args[1:]]
        if os.geteuid() == 0:
            command = ["runuser", "-u", "postgres", "--", *command]
        subprocess.run(command, check=True, capture_output=True, timeout=60)

    def init(self) -> None:
        self._run("initdb", "-D", str(self.root / "data"), "-U", "postgres", "-A", "trust")

    def start(self) -> None:
        options = f"-p {self.port} -k {self.root} -c listen_addresses=127.0.0.1"
        log = str(self.root / "server.log")
        self._run("pg_ctl", "-D", str(self.root / "data"), "-l", log, "-w", "-o", options, "start")

    def stop(self) -> None:
        self._run("pg_ctl", "-D", str(self.root / "data"), "-m", "fast", "-w", "stop")


@pytest.fixture
def cluster() -> Iterator[PrivateCluster]:
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"))
    if not found:
        pytest.skip("PostgreSQL server binaries not found; apt-get install -y postgresql")
    root = Path(tempfile.mkdtemp(prefix="camfleet-pg-outage-"))
    if os.geteuid() == 0:
        shutil.chown(root, "postgres", "postgres")
    server = PrivateCluster(Path(found[-1]).parent, root, _free_port())
    try:
        server.init()
        server.start()
        yield server
    finally:
        with contextlib.suppress(subprocess.SubprocessError):
            server.stop()
        shutil.rmtree(root, ignore_errors=True)


class Producer:
    """Puts one event (open, then closed: two records) and one count per step, at a steady
    rate, like analytics does, until stopped."""

    def __init__(self, writer: StoreWriter) -> None:
        self._writer = writer
        self._stop = threading.Event()
        self.records = 0
        self.events = 0
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        step = 0
        while not self._stop.wait(3 / RATE_PER_S):
            event_id = f"e{step}"
            self._writer.put_event(make_event(event_id))
            self._writer.put_event(make_event(event_id, ended_at=T0 + 1))
            self._writer.put_counts([CountDelta("cam-1", int(T0 // 60), "road", "car", "in", 1)])
            self.records += 3
            self.events += 1
            step += 1

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(5)


def test_writer_rides_out_a_20_s_server_stop(cluster: PrivateCluster, tmp_path: Path) -> None:
    db = open_database(cluster.url, tmp_path, connect=False)
    writer = StoreWriter(
        db, tmp_path / "snaps", {}, buffer_size=BUFFER, retry_base_s=0.1, retry_cap_s=1.0
    )
    producer = Producer(writer)
    writer.start()
    producer.start()
    try:
        assert wait_until(lambda: writer.stats.written_events >= 20, timeout=15)
        cluster.stop()
        stopped_at = time.monotonic()
        written_before = writer.stats.written_events
        put_before = producer.records
        time.sleep(OUTAGE_S)
        # producers never wait for the database
        assert producer.records - put_before >= 0.5 * RATE_PER_S * OUTAGE_S
        assert writer.stats.retries > 0
        assert writer.stats.pending <= BUFFER + 500  # bounded: buffer plus one batch in hand
        assert writer.stats.dropped > 0  # more than the buffer holds arrived meanwhile
        assert writer.stats.written_events == written_before
        cluster.start()
        restarted_after = time.monotonic() - stopped_at
        assert wait_until(lambda: writer.stats.written_events > written_before, timeout=20)
        time.sleep(1.0)  # some records put after the restart too
    finally:
        producer.stop()
        writer.close(timeout=20)
    stats = writer.stats
    assert restarted_after >= OUTAGE_S
    assert stats.pending == 0
    with db.engine.connect() as connection:
        rows = connection.execute(select(EventRow.event_id)).all()
        counted = connection.execute(select(func.coalesce(func.sum(CountRow.count), 0))).scalar()
    db.dispose()
    ids = [event_id for (event_id,) in rows]
    assert len(ids) == len(set(ids))  # one row per event id
    assert set(ids) <= {f"e{i}" for i in range(producer.events)}
    # Every record is committed once or counted as dropped: each count delta adds 1 to the
    # stored total, so a batch committed twice (or a loss not counted) breaks the sum.
    assert int(counted or 0) + stats.written_events + stats.dropped == producer.records
