"""Reading the store: events and count totals, as plain records for the CLI and the API."""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, Literal

from sqlalchemy import Integer, func, literal, select
from sqlalchemy.sql.elements import ColumnElement

from camfleet.errors import ConfigError
from camfleet.store.database import Database
from camfleet.store.schema import CountRow, EventRow

__all__ = [
    "Bucket",
    "CountTotal",
    "StoredEvent",
    "count_totals",
    "list_events",
    "parse_when",
]

Bucket = Literal["minute", "hour", "day"]
_MINUTES_PER: dict[Bucket, int] = {"minute": 1, "hour": 60, "day": 1440}
_RELATIVE = re.compile(r"^(\d+(?:\.\d+)?)\s*([smhdw])$")
_UNIT_SECONDS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}


def parse_when(text: str, now: datetime) -> datetime:
    """An ISO 8601 timestamp (UTC if it has no zone) or a span back from ``now``: ``15m``,
    ``2h``, ``1d``, ``30s``, ``1w``."""
    value = text.strip()
    relative = _RELATIVE.match(value)
    if relative:
        amount, unit = relative.groups()
        return now - timedelta(seconds=float(amount) * _UNIT_SECONDS[unit])
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError as exc:
        raise ConfigError(
            f"time {text!r} is neither ISO 8601 (2026-05-01T14:03:00Z) nor relative "
            "(30s, 15m, 2h, 1d, 1w); use one of those forms"
        ) from exc
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


@dataclass(frozen=True, slots=True)
class StoredEvent:
    event_id: str
    camera_id: str
    model_id: str
    rule_id: str
    kind: str
    class_name: str
    region: str | None
    track_ids: list[int]
    started_at: datetime
    ended_at: datetime | None
    max_confidence: float
    attributes: dict[str, Any]
    snapshot_path: str | None

    @property
    def duration_s(self) -> float | None:
        return None if self.ended_at is None else (self.ended_at - self.started_at).total_seconds()

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        data["started_at"] = self.started_at.isoformat()
        data["ended_at"] = None if self.ended_at is None else self.ended_at.isoformat()
        data["duration_s"] = self.duration_s
        return data


def list_events(
    db: Database,
    *,
    camera: str | None = None,
    kind: str | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
    limit: int = 50,
) -> list[StoredEvent]:
    """Events newest first, filtered by camera, kind and start time (``since <= t < until``)."""
    query = (
        select(*EventRow.__table__.c)
        .order_by(EventRow.started_at.desc(), EventRow.event_id)
        .limit(limit)
    )
    if camera is not None:
        query = query.where(EventRow.camera_id == camera)
    if kind is not None:
        query = query.where(EventRow.kind == kind)
    if since is not None:
        query = query.where(EventRow.started_at >= since)
    if until is not None:
        query = query.where(EventRow.started_at < until)
    with db.translate_errors("query events in"), db.engine.connect() as connection:
        result = connection.execute(query).all()
    return [StoredEvent(**row._asdict()) for row in result]


@dataclass(frozen=True, slots=True)
class CountTotal:
    """Totals for one camera, region and class (and time bucket, when grouped by one)."""

    camera_id: str
    region: str
    class_name: str
    bucket_start: datetime | None
    count_in: int
    count_out: int
    present: int

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        data["bucket_start"] = None if self.bucket_start is None else self.bucket_start.isoformat()
        return data


def _sum_direction(direction: str) -> ColumnElement[Any]:
    return func.coalesce(
        func.sum(CountRow.count).filter(CountRow.direction == direction), literal(0)
    )


def count_totals(
    db: Database,
    *,
    camera: str | None = None,
    region: str | None = None,
    class_name: str | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
    by: Bucket | None = None,
) -> list[CountTotal]:
    """In/out (and presence) totals per camera, region and class, optionally per time bucket."""
    minutes = _MINUTES_PER[by] if by else None
    bucket = (CountRow.minute // minutes).cast(Integer) if minutes else literal(None)
    keys = [CountRow.camera_id, CountRow.region, CountRow.class_name]
    query = select(
        *keys,
        bucket.label("bucket"),
        _sum_direction("in").label("count_in"),
        _sum_direction("out").label("count_out"),
        _sum_direction("present").label("present"),
    ).group_by(*keys, *([bucket] if minutes else []))
    if camera is not None:
        query = query.where(CountRow.camera_id == camera)
    if region is not None:
        query = query.where(CountRow.region == region)
    if class_name is not None:
        query = query.where(CountRow.class_name == class_name)
    if since is not None:
        query = query.where(CountRow.minute >= int(since.timestamp() // 60))
    if until is not None:
        query = query.where(CountRow.minute < int(until.timestamp() // 60))
    query = query.order_by(*([bucket] if minutes else []), *keys)
    with db.translate_errors("query counts in"), db.engine.connect() as connection:
        result = connection.execute(query).all()
    return [
        CountTotal(
            camera_id=row.camera_id,
            region=row.region,
            class_name=row.class_name,
            bucket_start=(
                datetime.fromtimestamp(int(row.bucket) * minutes * 60, tz=UTC) if minutes else None
            ),
            count_in=int(row.count_in),
            count_out=int(row.count_out),
            present=int(row.present),
        )
        for row in result
    ]
