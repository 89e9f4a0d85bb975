"""The state of one event while it is open: times, confidence, tracks and its best frame.

The snapshot is encoded lazily: the accumulator keeps a reference to the best frame's image
and detections (no copy, no encoding per frame), encodes it when the event is first emitted
(open) and again at close only if a better frame arrived in between. That bounds JPEG work at
two encodes per event, however long it lasts.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from typing import Any

import numpy as np
import numpy.typing as npt

from camfleet.analytics.snapshot import annotated_jpeg
from camfleet.events import Event, EventKind
from camfleet.frames import Detections, Frame

__all__ = ["MAX_TRACK_IDS", "OpenEvent", "event_id"]

MAX_TRACK_IDS = 256
"""Track ids kept per event; a crowd that lasts all day must not grow a row without bound."""

_NAMESPACE = uuid.UUID("5f0c8a4e-4a53-4f8e-9a0b-6d1c2f7e9b31")


def event_id(
    camera_id: str, model_id: str, rule_id: str, key: str, start_seq: int, started_at: float
) -> str:
    """Deterministic id: replaying the same frames yields the same ids, so never duplicates.

    The start time (ms) is part of it so that a camera whose frame numbers restart with the
    process does not reuse the ids of its earlier events.
    """
    name = f"{camera_id}|{model_id}|{rule_id}|{key}|{start_seq}|{round(started_at * 1000)}"
    return str(uuid.uuid5(_NAMESPACE, name))


class OpenEvent:
    """Accumulates what an event needs while it lasts; :meth:`to_event` makes the record."""

    def __init__(
        self,
        *,
        camera_id: str,
        model_id: str,
        rule_id: str,
        kind: EventKind,
        key: str,
        region: str | None,
        names: Mapping[int, str],
        frame: Frame,
        start_seq: int | None = None,
        started_at: float | None = None,
    ) -> None:
        """Start at ``frame``, or at an earlier ``start_seq``/``started_at`` when given."""
        seq = frame.seq if start_seq is None else start_seq
        start = frame.wall_time if started_at is None else started_at
        self.event_id = event_id(camera_id, model_id, rule_id, key, seq, start)
        self.camera_id = camera_id
        self.model_id = model_id
        self.rule_id = rule_id
        self.kind: EventKind = kind
        self.region = region
        self.started_at = start
        self.last_seen = start
        self.frames = 0
        self.max_count = 0
        self.max_confidence = 0.0
        self.opened = False
        self._names = names
        self._track_ids: npt.NDArray[np.int64] = np.zeros(0, np.int64)
        self._best_image: npt.NDArray[np.uint8] | None = None
        self._best_detections = Detections.empty()
        self._best_class = -1
        self._snapshot: bytes | None = None
        self._snapshot_stale = False

    def seen(self, wall_time: float) -> None:
        """Record one more frame in which the condition held, with no better detection."""
        self.last_seen = max(self.last_seen, wall_time)
        self.frames += 1

    def observe(self, frame: Frame, matched: Detections) -> None:
        """Record one frame in which the event's condition held, with the detections behind it."""
        self.last_seen = max(self.last_seen, frame.wall_time)
        self.frames += 1
        self.max_count = max(self.max_count, len(matched))
        if matched.tracker_id is not None and len(self._track_ids) < MAX_TRACK_IDS:
            tracked = matched.tracker_id[matched.tracker_id >= 0]
            self._track_ids = np.union1d(self._track_ids, tracked)[:MAX_TRACK_IDS]
        if not len(matched):
            return
        best = int(np.argmax(matched.confidence))
        confidence = float(matched.confidence[best])
        if confidence > self.max_confidence:
            self.max_confidence = confidence
            self._best_image, self._best_detections = frame.snapshot_view(matched)
            self._best_class = int(matched.class_id[best])
            self._snapshot_stale = True

    @property
    def track_ids(self) -> tuple[int, ...]:
        return tuple(int(t) for t in self._track_ids)

    def class_name(self, fallback: str) -> str:
        return self._names.get(self._best_class, fallback) if self._best_class >= 0 else fallback

    def _snapshot_bytes(self) -> bytes | None:
        if self._snapshot_stale and self._best_image is not None:
            self._snapshot = annotated_jpeg(self._best_image, self._best_detections, self._names)
            self._snapshot_stale = False
        return self._snapshot

    def to_event(
        self,
        *,
        ended_at: float | None,
        class_fallback: str,
        attributes: Mapping[str, Any] | None = None,
    ) -> Event:
        """The record to emit now: open (``ended_at`` None) or closed."""
        end = self.last_seen if ended_at is None else ended_at
        attrs: dict[str, Any] = {
            "duration_s": round(end - self.started_at, 3),
            "frames": self.frames,
            "count": self.max_count,
        }
        attrs.update(attributes or {})
        return Event(
            event_id=self.event_id,
            camera_id=self.camera_id,
            model_id=self.model_id,
            rule_id=self.rule_id,
            kind=self.kind,
            class_name=self.class_name(class_fallback),
            started_at=self.started_at,
            ended_at=ended_at,
            max_confidence=round(self.max_confidence, 4),
            region=self.region,
            track_ids=self.track_ids,
            attributes=attrs,
            snapshot_jpeg=self._snapshot_bytes(),
        )
