"""``/api/v1/events`` (filters, cursor pagination), an event's snapshot, and ``/counts``."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query, Request, Response

from camfleet.api.auth import require_key, service_of
from camfleet.api.event_query import EventFilter, find_event, page_events
from camfleet.api.schemas import ERROR_RESPONSES, CountOut, EventOut, EventPage
from camfleet.control.errors import NotFoundError
from camfleet.store.queries import count_totals, parse_when

__all__ = ["router"]

router = APIRouter(
    prefix="/api/v1", tags=["events"], dependencies=[Depends(require_key)],
    responses=ERROR_RESPONSES,
)

When = Annotated[
    str | None,
    Query(max_length=64, description="ISO 8601 (UTC if no zone) or a span back: 30s, 15m, 2h, 1d"),
]


def _when(text: str | None) -> datetime | None:
    return None if text is None else parse_when(text, datetime.now(UTC))


def _event(row: Any) -> EventOut:
    ended = row.ended_at
    return EventOut(
        event_id=row.event_id, camera_id=row.camera_id, model_id=row.model_id,
        rule_id=row.rule_id, kind=row.kind, class_name=row.class_name, region=row.region,
        track_ids=list(row.track_ids), started_at=row.started_at, ended_at=ended,
        duration_s=None if ended is None else (ended - row.started_at).total_seconds(),
        max_confidence=row.max_confidence, attributes=dict(row.attributes),
        has_snapshot=row.snapshot_path is not None,
    )


@router.get("/events", response_model=EventPage, summary="Events, newest first")
def list_events(
    request: Request,
    camera: Annotated[str | None, Query(max_length=64)] = None,
    rule: Annotated[
        str | None, Query(max_length=200, description="'<camera>/<rule>' or a rule name")
    ] = None,
    class_name: Annotated[str | None, Query(alias="class", max_length=128)] = None,
    since: When = None,
    until: When = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
    cursor: Annotated[str | None, Query(max_length=1024)] = None,
) -> EventPage:
    where = EventFilter(camera, rule, class_name, _when(since), _when(until))
    rows, next_cursor = page_events(service_of(request).db, where, limit, cursor)
    return EventPage(items=[_event(row) for row in rows], next_cursor=next_cursor)


@router.get("/events/{event_id}", response_model=EventOut, summary="One event")
def get_event(request: Request, event_id: str) -> EventOut:
    row = find_event(service_of(request).db, event_id)
    if row is None:
        raise NotFoundError(f"event {event_id!r} does not exist")
    return _event(row)


@router.get(
    "/events/{event_id}/snapshot.jpg",
    response_class=Response,
    responses={200: {"content": {"image/jpeg": {}}}},
    summary="The event's annotated snapshot",
)
def event_snapshot(request: Request, event_id: str) -> Response:
    service = service_of(request)
    row = find_event(service.db, event_id)
    if row is None:
        raise NotFoundError(f"event {event_id!r} does not exist")
    if row.snapshot_path is None:
        raise NotFoundError(f"event {event_id!r} has no snapshot")
    return Response(service.read_snapshot(row.snapshot_path), media_type="image/jpeg",
                    headers={"Cache-Control": "private, max-age=3600"})


@router.get("/counts", response_model=list[CountOut], summary="Line and zone counts")
def counts(
    request: Request,
    camera: Annotated[str | None, Query(max_length=64)] = None,
    region: Annotated[str | None, Query(max_length=128)] = None,
    class_name: Annotated[str | None, Query(alias="class", max_length=128)] = None,
    since: When = None,
    until: When = None,
    by: Literal["minute", "hour", "day"] | None = None,
) -> list[CountOut]:
    totals = count_totals(
        service_of(request).db, camera=camera, region=region, class_name=class_name,
        since=_when(since), until=_when(until), by=by,
    )
    return [CountOut(**total.to_json()) for total in totals]
