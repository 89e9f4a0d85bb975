"""``serve --no-engine``: camera states and numbers come from the live workers' heartbeats."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import insert

from camfleet.store.schema import WorkerRow

from .helpers import running_service


def test_stats_report_what_live_workers_heartbeat(tmp_path: Path) -> None:
    now = datetime.now(UTC)
    bikes = {"state": "streaming", "last_error": None, "sampled": 40, "gated": 0,
             "analysed": 38, "shed": 2, "dropped": 0, "p50_ms": 120.5, "p99_ms": 410.0,
             "committed_p50_ms": 300.0, "committed_p99_ms": None, "fps_in": 2.0,
             "fps_analysed": 1.9}
    carphone = {**bikes, "state": "retrying", "last_error": "camera 'carphone': lost"}
    row = {"host": "node-1", "capacity": 8, "cameras": 1, "started_at": now,
           "heartbeat_at": now}
    with running_service(tmp_path / "data") as api:
        with api.service.db.engine.begin() as connection:
            connection.execute(insert(WorkerRow), [
                {**row, "worker_id": "w-live", "expires_at": now + timedelta(seconds=10),
                 "stats": {"cameras": {"bikes": bikes}}},
                {**row, "worker_id": "w-dead", "expires_at": now - timedelta(seconds=5),
                 "stats": {"cameras": {"carphone": carphone}}},
            ])
        with api.client() as client:
            stats = {c["camera_id"]: c for c in client.get("/api/v1/stats").json()["cameras"]}
            one = client.get("/api/v1/cameras/bikes/stats").json()
    assert stats["bikes"]["worker"] == "w-live" and stats["bikes"]["state"] == "streaming"
    assert stats["bikes"]["analysed"] == 38 and stats["bikes"]["p99_ms"] == 410.0
    assert stats["bikes"]["committed_p99_ms"] is None
    # The dead worker's heartbeat is ignored: nobody runs carphone now.
    assert stats["carphone"]["state"] == "unassigned" and stats["carphone"]["worker"] is None
    assert one["worker"] == "w-live"
