"""What a worker reports in its heartbeat, and how the control plane reads it back.

A worker puts a summary of its engine's metrics in its ``workers`` row every lease round;
``camfleet serve --no-engine`` (the API in front of separate workers) reads the rows of live
workers to report each camera's state and numbers, and which worker runs it.
"""

from __future__ import annotations

import math
from dataclasses import asdict
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select

from camfleet.engine.metrics import FleetSnapshot
from camfleet.store.database import Database
from camfleet.store.schema import WorkerRow

__all__ = ["heartbeat_stats", "live_camera_stats"]


def _json_number(value: Any) -> Any:
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return round(value, 2) if isinstance(value, float) else value


def heartbeat_stats(snapshot: FleetSnapshot) -> dict[str, Any]:
    """Per-camera numbers of a metrics snapshot, JSON-ready (NaN becomes null)."""
    return {
        "cameras": {
            camera.camera_id: {
                key: _json_number(value)
                for key, value in asdict(camera).items()
                if key != "camera_id"
            }
            for camera in snapshot.cameras
        }
    }


def live_camera_stats(db: Database, now: datetime | None = None) -> dict[str, dict[str, Any]]:
    """Camera id -> its numbers and ``worker`` (the live worker that runs it)."""
    moment = now or datetime.now(UTC)
    with db.engine.connect() as connection:
        rows = connection.execute(
            select(WorkerRow.worker_id, WorkerRow.stats).where(WorkerRow.expires_at >= moment)
        )
        return {
            camera_id: {**numbers, "worker": worker_id}
            for worker_id, stats in rows
            for camera_id, numbers in (stats or {}).get("cameras", {}).items()
        }
