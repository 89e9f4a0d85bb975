"""The writer's SQL: idempotent upserts with each backend's ``INSERT ... ON CONFLICT``.

Every function runs inside the caller's transaction so one batch is one commit.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, Table, case, func, select, update
from sqlalchemy.dialects import postgresql, sqlite

from camfleet.config import FleetConfig
from camfleet.store.schema import Base, CameraRow, CountRow, EventRow, ModelRow, OutboxRow

__all__ = [
    "dialect_insert",
    "enqueue_deliveries",
    "evict_outbox_overflow",
    "increment_counts",
    "upsert_cameras_models",
    "upsert_events",
]


def dialect_insert(connection: Connection, model: type[Base]) -> Any:
    """``INSERT`` for the connection's backend, with its ``ON CONFLICT`` clauses."""
    table = model.__table__
    assert isinstance(table, Table)
    if connection.dialect.name == "postgresql":
        return postgresql.insert(table)
    return sqlite.insert(table)


def upsert_events(connection: Connection, rows: Sequence[dict[str, Any]]) -> None:
    """Insert events or update them by ``event_id``: a close fills ``ended_at``, confidence
    only grows, a new snapshot replaces the old path."""
    if not rows:
        return
    stmt = dialect_insert(connection, EventRow)
    new = stmt.excluded
    stmt = stmt.on_conflict_do_update(
        index_elements=[EventRow.event_id],
        set_={
            "ended_at": func.coalesce(new.ended_at, EventRow.ended_at),
            "max_confidence": case(
                (new.max_confidence > EventRow.max_confidence, new.max_confidence),
                else_=EventRow.max_confidence,
            ),
            "snapshot_path": func.coalesce(new.snapshot_path, EventRow.snapshot_path),
            "track_ids": new.track_ids,
            "attributes": new.attributes,
        },
    )
    connection.execute(stmt, list(rows))


def increment_counts(connection: Connection, rows: Sequence[dict[str, Any]]) -> None:
    """Add each row's ``count`` to the stored one (rows must have distinct keys)."""
    if not rows:
        return
    stmt = dialect_insert(connection, CountRow)
    stmt = stmt.on_conflict_do_update(
        index_elements=[
            CountRow.camera_id,
            CountRow.minute,
            CountRow.region,
            CountRow.class_name,
            CountRow.direction,
        ],
        set_={"count": CountRow.count + stmt.excluded.count},
    )
    connection.execute(stmt, list(rows))


def enqueue_deliveries(connection: Connection, rows: Sequence[dict[str, Any]]) -> None:
    """Add outbox rows; one already queued for the same (event, phase, URL) is left alone."""
    if not rows:
        return
    stmt = dialect_insert(connection, OutboxRow).on_conflict_do_nothing(
        index_elements=[OutboxRow.event_id, OutboxRow.phase, OutboxRow.url]
    )
    connection.execute(stmt, list(rows))


def evict_outbox_overflow(connection: Connection, cap: int, now: datetime) -> int:
    """Mark the oldest pending deliveries beyond ``cap`` dead; return how many."""
    pending = connection.execute(
        select(func.count()).select_from(OutboxRow).where(OutboxRow.state == "pending")
    ).scalar_one()
    excess = int(pending) - cap
    if excess <= 0:
        return 0
    oldest = (
        select(OutboxRow.id)
        .where(OutboxRow.state == "pending")
        .order_by(OutboxRow.id)
        .limit(excess)
        .scalar_subquery()
    )
    connection.execute(
        update(OutboxRow)
        .where(OutboxRow.id.in_(oldest))
        .values(
            state="dead",
            last_error=f"evicted: outbox over its cap of {cap} pending deliveries",
            next_attempt_at=now,
        )
    )
    return excess


def upsert_cameras_models(connection: Connection, fleet: FleetConfig, now: datetime) -> None:
    """Make the ``cameras`` and ``models`` tables show ``fleet``'s (rows are never deleted:
    stored events keep pointing at them)."""
    cameras = [
        {
            "camera_id": c.id,
            "source": c.source,
            "analyze_fps": c.analyze_fps,
            "model_ids": list(c.models),
            "updated_at": now,
        }
        for c in fleet.cameras
    ]
    models = [
        {"model_id": key, "path": m.path, "provider": m.provider, "updated_at": now}
        for key, m in fleet.models.items()
    ]
    # An empty parameter list would execute the INSERT once with no values: a row of NULLs
    # (a worker starts with no cameras and gets them from its leases).
    if cameras:
        camera_stmt = dialect_insert(connection, CameraRow)
        connection.execute(
            camera_stmt.on_conflict_do_update(
                index_elements=[CameraRow.camera_id],
                set_={
                    name: camera_stmt.excluded[name]
                    for name in ("source", "analyze_fps", "model_ids", "updated_at")
                },
            ),
            cameras,
        )
    if models:
        model_stmt = dialect_insert(connection, ModelRow)
        connection.execute(
            model_stmt.on_conflict_do_update(
                index_elements=[ModelRow.model_id],
                set_={
                    name: model_stmt.excluded[name] for name in ("path", "provider", "updated_at")
                },
            ),
            models,
        )
