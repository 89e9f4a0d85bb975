"""The API serves event snapshots that workers put in S3 (a real S3 API on loopback: moto)."""

from __future__ import annotations

import os
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import boto3
import pytest
from moto.server import ThreadedMotoServer
from sqlalchemy import insert

from camfleet.store.schema import EventRow
from camfleet.store.snapshot_store import S3SnapshotStore

from .helpers import jpeg, running_service


@pytest.fixture
def s3_store(monkeypatch: pytest.MonkeyPatch) -> Iterator[S3SnapshotStore]:
    for name, value in {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing",
                        "AWS_DEFAULT_REGION": "us-east-1"}.items():
        monkeypatch.setenv(name, value)
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    endpoint = f"http://{host}:{port}"
    try:
        bucket = f"snaps-{os.urandom(4).hex()}"
        boto3.client("s3", endpoint_url=endpoint).create_bucket(Bucket=bucket)
        boto3.client("s3", endpoint_url=endpoint).create_bucket(Bucket=f"{bucket}-other")
        yield S3SnapshotStore(f"s3://{bucket}/fleet", endpoint_url=endpoint)
    finally:
        server.stop()


def test_snapshot_stored_in_s3_is_served_and_other_buckets_are_refused(
    s3_store: S3SnapshotStore, tmp_path: Path
) -> None:
    picture = jpeg(value=77)
    uri = s3_store.put("bikes/e1.jpg", picture)
    assert uri.startswith("s3://")
    started = datetime(2026, 11, 1, 12, 0, tzinfo=UTC)
    row = {"camera_id": "bikes", "model_id": "default", "rule_id": "bikes/people",
           "kind": "presence", "class_name": "Normal", "region": None, "track_ids": [1],
           "started_at": started, "ended_at": None, "max_confidence": 0.8, "attributes": {}}
    bucket = uri.split("/")[2]
    with running_service(tmp_path / "data", snapshots=s3_store) as api:
        with api.service.db.engine.begin() as connection:
            connection.execute(insert(EventRow), [
                {**row, "event_id": "in-store", "snapshot_path": uri},
                {**row, "event_id": "other-bucket",
                 "snapshot_path": f"s3://{bucket}-other/fleet/bikes/e1.jpg"},
                {**row, "event_id": "gone", "snapshot_path": f"s3://{bucket}/fleet/none.jpg"},
            ])
        with api.client() as client:
            served = client.get("/api/v1/events/in-store/snapshot.jpg")
            assert served.status_code == 200 and served.content == picture
            assert served.headers["content-type"] == "image/jpeg"
            refused = client.get("/api/v1/events/other-bucket/snapshot.jpg")
            assert refused.status_code == 404 and "refused" in refused.json()["detail"]
            gone = client.get("/api/v1/events/gone/snapshot.jpg")
            assert gone.status_code == 404 and "gone" in gone.json()["detail"]
