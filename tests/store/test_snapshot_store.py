"""Snapshot stores: a local directory and S3 (a real S3 API on loopback: moto in server mode),
URIs in the database, old plain paths still readable, retention through the store, and
traversal attempts refused."""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from pathlib import Path

import boto3
import pytest
from moto.server import ThreadedMotoServer
from sqlalchemy import select
from sqlalchemy.orm import Session

from camfleet.config import StoreConfig
from camfleet.errors import StoreError
from camfleet.store.database import Database
from camfleet.store.location import StoreLocation
from camfleet.store.retention import RetentionPolicy, prune
from camfleet.store.schema import EventRow
from camfleet.store.snapshot_store import (
    LocalSnapshotStore,
    S3SnapshotStore,
    SnapshotNotFoundError,
    open_snapshot_store,
)
from camfleet.store.writer import StoreWriter, open_writer

from .helpers import T0, make_event

JPEG = b"\xff\xd8" + b"\x01" * 50_000 + b"\xff\xd9"
DAY = 86400.0
BUCKET = "camfleet-snaps"


@pytest.fixture(scope="module")
def s3_endpoint() -> Iterator[str]:
    """A moto S3 server on a free loopback port, for this module only."""
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    try:
        yield f"http://{host}:{port}"
    finally:
        server.stop()


@pytest.fixture
def s3_store(s3_endpoint: str, monkeypatch: pytest.MonkeyPatch) -> S3SnapshotStore:
    for name, value in {
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_DEFAULT_REGION": "us-east-1",
    }.items():
        monkeypatch.setenv(name, value)
    client = boto3.client("s3", endpoint_url=s3_endpoint)
    bucket = f"{BUCKET}-{os.urandom(4).hex()}"
    client.create_bucket(Bucket=bucket)
    return S3SnapshotStore(f"s3://{bucket}/fleet-1", endpoint_url=s3_endpoint)


def _paths(db: Database) -> dict[str, str | None]:
    with Session(db.engine) as session:
        return {e.event_id: e.snapshot_path for e in session.scalars(select(EventRow))}


def test_local_store_round_trip_and_legacy_paths(tmp_path: Path) -> None:
    store = LocalSnapshotStore(tmp_path / "snaps")
    uri = store.put("cam-1/2025-11-24/e1.jpg", JPEG)
    assert uri == (tmp_path / "snaps" / "cam-1" / "2025-11-24" / "e1.jpg").as_uri()
    assert store.get(uri) == JPEG
    legacy = str(tmp_path / "snaps" / "cam-1" / "2025-11-24" / "e1.jpg")
    assert store.get(legacy) == JPEG  # rows written before URIs hold plain paths
    assert store.delete(uri) == len(JPEG)
    assert store.delete(uri) == 0
    with pytest.raises(SnapshotNotFoundError, match="does not exist"):
        store.get(uri)


@pytest.mark.parametrize(
    "attempt",
    [
        "file:///etc/passwd",
        "/etc/passwd",
        "{root}/../../../etc/passwd",
        "file://{root}/../outside.jpg",
        "file://{root}/cam-1/../../outside.jpg",
        "s3://bucket/key.jpg",
        "http://example.com/x.jpg",
        "cam-1/e1.jpg",
    ],
)
def test_local_store_refuses_anything_outside_its_root(tmp_path: Path, attempt: str) -> None:
    root = tmp_path / "snaps"
    (tmp_path / "outside.jpg").write_bytes(JPEG)
    store = LocalSnapshotStore(root)
    store.put("cam-1/e1.jpg", JPEG)
    uri = attempt.format(root=root)
    with pytest.raises(StoreError, match="outside the snapshot store"):
        store.get(uri)
    with pytest.raises(StoreError, match="outside the snapshot store"):
        store.delete(uri)
    assert (tmp_path / "outside.jpg").exists()


def test_a_symlink_out_of_the_root_is_refused(tmp_path: Path) -> None:
    root = tmp_path / "snaps"
    (root / "cam-1").mkdir(parents=True)
    (root / "cam-1" / "link.jpg").symlink_to("/etc/passwd")
    with pytest.raises(StoreError, match="outside the snapshot store"):
        LocalSnapshotStore(root).get((root / "cam-1" / "link.jpg").as_uri())


def test_s3_store_round_trip_listing_and_refusals(s3_store: S3SnapshotStore) -> None:
    uri = s3_store.put("cam-1/2025-11-24/e1.jpg", JPEG)
    assert uri == f"{s3_store.root_uri}/cam-1/2025-11-24/e1.jpg"
    assert uri.startswith("s3://camfleet-snaps-")
    assert s3_store.get(uri) == JPEG
    [entry] = list(s3_store.entries())
    assert (entry.uri, entry.size) == (uri, len(JPEG))
    bucket = s3_store.root_uri.split("/")[2]
    for attempt in (
        f"s3://{bucket}/other-fleet/cam-1/2025-11-24/e1.jpg",
        f"s3://{bucket}/fleet-1/../other-fleet/e1.jpg",
        f"s3://{bucket}/fleet-1/cam-1//e1.jpg",
        "s3://another-bucket/fleet-1/cam-1/2025-11-24/e1.jpg",
        "file:///etc/passwd",
    ):
        with pytest.raises(StoreError, match="outside the snapshot store"):
            s3_store.get(attempt)
    with pytest.raises(StoreError, match="outside the snapshot store"):
        s3_store.put("../escape.jpg", JPEG)
    assert s3_store.delete(uri) == len(JPEG)
    assert s3_store.delete(uri) == 0
    with pytest.raises(SnapshotNotFoundError):
        s3_store.get(uri)
    assert list(s3_store.entries()) == []


def test_writer_and_retention_through_s3(db: Database, s3_store: S3SnapshotStore) -> None:
    writer = StoreWriter(db, s3_store, {}, flush_interval_s=0.01)
    writer.start()
    for i, age_days in enumerate((40, 3, 2, 1)):
        start = T0 - age_days * DAY
        writer.put_event(
            make_event(f"e{i}", started_at=start, ended_at=start + 5, snapshot_jpeg=JPEG)
        )
    writer.close()
    paths = _paths(db)
    assert all(p is not None and p.startswith(s3_store.root_uri + "/") for p in paths.values())
    assert s3_store.get(paths["e3"] or "") == JPEG

    # The budget holds two of the three remaining snapshots; moto's object times are all "now",
    # so which two stay is decided by name order (e1 goes first).
    report = prune(
        db, s3_store, RetentionPolicy(retention_days=30, snapshot_budget_mb=0.1), T0 + DAY
    )
    after = _paths(db)
    assert sorted(after) == ["e1", "e2", "e3"]  # e0 expired with its object
    assert report.events_deleted == 1
    assert after["e1"] is None and after["e2"] == paths["e2"] and after["e3"] == paths["e3"]
    remaining = sorted(entry.uri for entry in s3_store.entries())
    assert remaining == sorted([paths["e2"] or "", paths["e3"] or ""])
    assert report.snapshots_deleted == 2


def test_open_snapshot_store_follows_the_setting(tmp_path: Path, s3_endpoint: str) -> None:
    default = open_snapshot_store(None, tmp_path)
    assert isinstance(default, LocalSnapshotStore)
    assert default.root == tmp_path / "snapshots"
    assert isinstance(open_snapshot_store(f"file://{tmp_path}/x", tmp_path), LocalSnapshotStore)
    assert isinstance(
        open_snapshot_store("s3://b/p", tmp_path, endpoint_url=s3_endpoint), S3SnapshotStore
    )
    with pytest.raises(StoreError, match="unsupported scheme 'gs'"):
        open_snapshot_store("gs://bucket/prefix", tmp_path)
    with pytest.raises(StoreError, match="s3://bucket/prefix"):
        S3SnapshotStore("s3:///no-bucket")


def test_open_writer_uses_the_configured_store(tmp_path: Path) -> None:
    store = StoreConfig(snapshot_store=str(tmp_path / "elsewhere"))
    writer = open_writer(StoreLocation(None, tmp_path / "data"), store, {})
    writer.start()
    writer.put_event(make_event(started_at=time.time(), snapshot_jpeg=JPEG))  # not yet expired
    writer.close()
    assert len(list((tmp_path / "elsewhere").rglob("*.jpg"))) == 1
    assert not (tmp_path / "data" / "snapshots").exists()
