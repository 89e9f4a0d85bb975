"""Pure transforms from what analytics emits (:class:`Event`, :class:`CountDelta`) to table rows
and webhook payloads. No I/O here, so the writer's batching rules are easy to test.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import Any, Literal

from camfleet.events import CountDelta, Event

__all__ = [
    "EventPhase",
    "MergedEvent",
    "event_row",
    "jsonable",
    "merge_events",
    "sum_counts",
    "utc",
    "webhook_payload",
]

EventPhase = Literal["open", "closed"]


def utc(epoch_seconds: float) -> datetime:
    return datetime.fromtimestamp(epoch_seconds, tz=UTC)


def _plain(value: Any) -> Any:
    # NumPy scalars and arrays from analytics become plain numbers and lists.
    if hasattr(value, "tolist"):
        return value.tolist()
    return str(value)


_PLAIN_TYPES = frozenset({str, int, float, bool, type(None)})


def jsonable(mapping: Mapping[str, Any]) -> dict[str, Any]:
    """A JSON-safe copy of ``mapping`` (NumPy values converted, anything else as text)."""
    if all(type(key) is str and type(value) in _PLAIN_TYPES for key, value in mapping.items()):
        return dict(mapping)  # the common case, without a JSON round trip
    result: dict[str, Any] = json.loads(json.dumps(dict(mapping), default=_plain))
    return result


@dataclass(frozen=True, slots=True)
class MergedEvent:
    """The latest state of one event within a batch, and which of its states the batch saw."""

    event: Event
    phases: frozenset[EventPhase]


def _phase(event: Event) -> EventPhase:
    return "open" if event.ended_at is None else "closed"


def merge_events(events: Iterable[Event]) -> list[MergedEvent]:
    """Collapse updates of one ``event_id`` within a batch into its latest state.

    A later close wins over an earlier open; confidence only grows; a snapshot, once given, is
    kept unless a later update brings a new one. Order of first appearance is preserved.
    """
    merged: dict[str, Event] = {}
    phases: dict[str, set[EventPhase]] = {}
    for event in events:
        phases.setdefault(event.event_id, set()).add(_phase(event))
        previous = merged.get(event.event_id)
        if previous is None:
            merged[event.event_id] = event
            continue
        merged[event.event_id] = replace(
            event,
            ended_at=event.ended_at if event.ended_at is not None else previous.ended_at,
            max_confidence=max(event.max_confidence, previous.max_confidence),
            snapshot_jpeg=event.snapshot_jpeg or previous.snapshot_jpeg,
        )
    return [MergedEvent(merged[key], frozenset(phases[key])) for key in merged]


def event_row(event: Event, snapshot_path: str | None) -> dict[str, Any]:
    """The ``events`` row for ``event``; ``snapshot_path`` is where its JPEG was written."""
    return {
        "event_id": event.event_id,
        "camera_id": event.camera_id,
        "model_id": event.model_id,
        "rule_id": event.rule_id,
        "kind": event.kind,
        "class_name": event.class_name,
        "region": event.region,
        "track_ids": [int(t) for t in event.track_ids],
        "started_at": utc(event.started_at),
        "ended_at": None if event.ended_at is None else utc(event.ended_at),
        "max_confidence": float(event.max_confidence),
        "attributes": jsonable(event.attributes),
        "snapshot_path": snapshot_path,
    }


def sum_counts(deltas: Iterable[CountDelta]) -> list[dict[str, Any]]:
    """``counts`` rows with duplicates of one key summed (one upsert may touch a row once)."""
    totals: dict[tuple[str, int, str, str, str], int] = {}
    for d in deltas:
        key = (d.camera_id, int(d.minute), d.region, d.class_name, d.direction)
        totals[key] = totals.get(key, 0) + int(d.count)
    return [
        {
            "camera_id": camera_id,
            "minute": minute,
            "region": region,
            "class_name": class_name,
            "direction": direction,
            "count": count,
        }
        for (camera_id, minute, region, class_name, direction), count in totals.items()
    ]


def webhook_payload(row: Mapping[str, Any], phase: EventPhase) -> dict[str, Any]:
    """The JSON body POSTed for one event state: the stored row, times as ISO 8601."""
    started: datetime = row["started_at"]
    ended: datetime | None = row["ended_at"]
    return {
        "event_id": row["event_id"],
        "state": phase,
        "camera_id": row["camera_id"],
        "model_id": row["model_id"],
        "rule_id": row["rule_id"],
        "kind": row["kind"],
        "class_name": row["class_name"],
        "region": row["region"],
        "track_ids": list(row["track_ids"]),
        "started_at": started.isoformat(),
        "ended_at": None if ended is None else ended.isoformat(),
        "duration_s": None if ended is None else (ended - started).total_seconds(),
        "max_confidence": row["max_confidence"],
        "attributes": row["attributes"],
        "snapshot_path": row["snapshot_path"],
    }

