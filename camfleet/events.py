"""What analytics hands to the store: :class:`Event` and :class:`CountDelta`, and the
:class:`ResultSink` protocol through which the engine hands (frame, detections) onward.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal, Protocol, runtime_checkable

from camfleet.frames import Detections, Frame

if TYPE_CHECKING:
    from camfleet.config import CameraConfig

__all__ = ["CommitListener", "CommitReporting", "CountDelta", "Event", "EventKind",
           "EventWriter", "ResultSink"]

# Called with (camera id, seconds from capture to the database commit of its records).
CommitListener = Callable[[str, float], None]

EventKind = Literal["presence", "dwell", "line_crossing", "crowd"]


@dataclass(frozen=True, slots=True)
class Event:
    """Something a rule found. Emitted when it opens (``ended_at`` is None) and again, with
    the same ``event_id``, when it closes; the store upserts by ``event_id`` so retries and
    updates never duplicate.
    """

    event_id: str
    camera_id: str
    model_id: str
    rule_id: str
    kind: EventKind
    class_name: str
    started_at: float
    ended_at: float | None
    max_confidence: float
    region: str | None = None
    track_ids: tuple[int, ...] = ()
    attributes: Mapping[str, Any] = field(default_factory=dict)
    snapshot_jpeg: bytes | None = None


@dataclass(frozen=True, slots=True)
class CountDelta:
    """An increment of a per-minute count (line crossings in/out, zone occupancy samples)."""

    camera_id: str
    minute: int
    region: str
    class_name: str
    direction: Literal["in", "out", "present"]
    count: int


class ResultSink(Protocol):
    """Receives every analysed frame's detections, off the inference path.

    A sink is built knowing the cameras an engine starts with; ``add_camera`` and
    ``remove_camera`` tell it about changes while the engine runs (``remove_camera`` closes
    that camera's open events). ``on_result`` is called from several results threads, but
    one camera's frames always come from the same thread, in order.
    """

    def on_result(self, frame: Frame, model_id: str, detections: Detections) -> None: ...

    def add_camera(self, camera: CameraConfig) -> None: ...

    def remove_camera(self, camera_id: str) -> None: ...

    def close(self) -> None: ...


@runtime_checkable
class CommitReporting(Protocol):
    """A sink that can tell when an analysed frame's records are committed to the database
    (the engine wires its capture -> committed latency to it)."""

    def set_commit_listener(self, listener: CommitListener | None) -> None: ...


class EventWriter(Protocol):
    """Accepts events and counts without blocking; persists them on its own thread."""

    def put_event(self, event: Event) -> None: ...

    def put_counts(self, deltas: Sequence[CountDelta]) -> None: ...
