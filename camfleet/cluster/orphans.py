"""Events a dead worker left open: closed by the worker that takes its cameras over."""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime

from sqlalchemy import update

from camfleet.store.database import Database
from camfleet.store.schema import EventRow

__all__ = ["close_orphaned_events"]


def close_orphaned_events(db: Database, camera_ids: Collection[str], ended_at: datetime) -> int:
    """Close the open events of cameras this worker just acquired; returns how many.

    A camera runs on one worker at a time, so an event still open when a worker acquires the
    camera was opened by its previous holder, which died (or was cut off) before closing it.
    Its end is not known more precisely than "by the takeover". If the previous holder comes
    back and closes it itself, the store's upsert keeps that end time instead.
    """
    if not camera_ids:
        return 0
    with db.engine.begin() as connection:
        result = connection.execute(
            update(EventRow)
            .where(
                EventRow.camera_id.in_(sorted(camera_ids)),
                EventRow.ended_at.is_(None),
                EventRow.started_at < ended_at,
            )
            .values(ended_at=ended_at)
        )
    return int(result.rowcount or 0)
