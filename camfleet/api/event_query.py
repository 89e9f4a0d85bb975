"""Events newest first with keyset (cursor) pagination: stable while new events arrive.

The cursor is the last row's ``(started_at, event_id)``, base64url-encoded JSON; the next page
continues strictly after it in the ``started_at DESC, event_id ASC`` order.
"""

from __future__ import annotations

import base64
import binascii
import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import and_, or_, select

from camfleet.errors import ConfigError
from camfleet.store.database import Database
from camfleet.store.schema import EventRow

__all__ = ["EventFilter", "decode_cursor", "encode_cursor", "find_event", "page_events"]


@dataclass(frozen=True, slots=True)
class EventFilter:
    camera: str | None = None
    rule: str | None = None
    class_name: str | None = None
    since: datetime | None = None
    until: datetime | None = None


def encode_cursor(started_at: datetime, event_id: str) -> str:
    raw = json.dumps([started_at.isoformat(), event_id]).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str) -> tuple[datetime, str]:
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        started, event_id = json.loads(raw)
        return datetime.fromisoformat(started), str(event_id)
    except (binascii.Error, ValueError, TypeError, UnicodeDecodeError) as exc:
        raise ConfigError(
            "cursor: not a cursor this API returned; pass next_cursor from the previous page"
        ) from exc


def page_events(
    db: Database, where: EventFilter, limit: int, cursor: str | None
) -> tuple[list[Any], str | None]:
    """One page of event rows and the cursor of the next page (None on the last page)."""
    query = select(EventRow.__table__).order_by(EventRow.started_at.desc(), EventRow.event_id)
    if where.camera is not None:
        query = query.where(EventRow.camera_id == where.camera)
    if where.rule is not None:
        # A rule is "<camera>/<name>"; a bare name matches that rule on every camera.
        column = EventRow.rule_id
        query = query.where(column == where.rule if "/" in where.rule
                            else column.like(f"%/{_escape_like(where.rule)}", escape="\\"))
    if where.class_name is not None:
        query = query.where(EventRow.class_name == where.class_name)
    if where.since is not None:
        query = query.where(EventRow.started_at >= where.since)
    if where.until is not None:
        query = query.where(EventRow.started_at < where.until)
    if cursor is not None:
        started, event_id = decode_cursor(cursor)
        query = query.where(or_(
            EventRow.started_at < started,
            and_(EventRow.started_at == started, EventRow.event_id > event_id),
        ))
    with db.translate_errors("query events in"), db.engine.connect() as connection:
        rows = list(connection.execute(query.limit(limit + 1)).all())
    if len(rows) <= limit:
        return rows, None
    last = rows[limit - 1]
    return rows[:limit], encode_cursor(last.started_at, last.event_id)


def find_event(db: Database, event_id: str) -> Any:
    with db.translate_errors("read an event in"), db.engine.connect() as connection:
        return connection.execute(
            select(EventRow.__table__).where(EventRow.event_id == event_id)
        ).first()


def _escape_like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
