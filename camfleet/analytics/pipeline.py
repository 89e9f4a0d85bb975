"""The engine's result sink: tracking and rules per (camera, model), records to the writer.

The engine calls :meth:`AnalyticsSink.on_result` on its results threads for every analysed
frame, never on the inference path; the writer's ``put_*`` calls are non-blocking, so the
sink's cost per frame is tracking plus the rules' vectorized updates.
"""

from __future__ import annotations

import dataclasses
import threading
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass

from camfleet.analytics.rule_base import Rule, RuleOutput
from camfleet.analytics.rules import build_rules
from camfleet.analytics.schema import check_class_names, rule_model
from camfleet.analytics.tracking import Tracker
from camfleet.config import CameraConfig, FleetConfig
from camfleet.events import EventWriter
from camfleet.frames import Detections, Frame

__all__ = ["AnalyticsSink", "AnalyticsStats"]


@dataclass(frozen=True, slots=True)
class AnalyticsStats:
    """Counters since the sink was created."""

    frames_processed: int
    events_opened: int
    events_closed: int
    count_deltas: int


@dataclass(slots=True)
class _Lane:
    """What runs on one camera's detections of one model. Its lock keeps a frame's update
    and the camera's removal apart; different cameras' lanes run in parallel."""

    rules: list[Rule]
    tracker: Tracker | None
    lock: threading.Lock = dataclasses.field(default_factory=threading.Lock)
    closed: bool = False


class AnalyticsSink:
    """Implements :class:`camfleet.events.ResultSink`: detections in, events and counts out.

    ``names_by_model`` maps each model id to its class names (id → name); rules' class names
    are checked against it (:class:`~camfleet.errors.ConfigError` if one is unknown).
    ``cameras`` overrides ``fleet.cameras`` (and may be empty); more come and go through
    :meth:`add_camera` and :meth:`remove_camera` while the engine runs.
    ``clock`` gives the wall time for frames that carry none (``wall_time == 0``).
    A camera without rules costs one dictionary lookup per frame; tracking runs only where a
    rule needs tracks. ``on_result`` may be called from several threads at once (each camera
    from one of them).
    """

    def __init__(
        self,
        fleet: FleetConfig,
        names_by_model: Mapping[str, Mapping[int, str]],
        writer: EventWriter,
        clock: Callable[[], float] = time.time,
        cameras: Iterable[CameraConfig] | None = None,
    ) -> None:
        self._names_by_model = names_by_model
        self._fleet = fleet
        self._writer = writer
        self._clock = clock
        self._lock = threading.Lock()  # the lane map, counters and open-event ids
        self._closed = False
        self._open_ids: set[str] = set()
        self._frames = 0
        self._opened = 0
        self._closed_events = 0
        self._count_deltas = 0
        self._lanes: dict[tuple[str, str], _Lane] = {}
        for camera in fleet.cameras if cameras is None else cameras:
            self._lanes.update(self._build_lanes(camera))

    def _build_lanes(self, camera: CameraConfig) -> dict[tuple[str, str], _Lane]:
        check_class_names(self._fleet.model_copy(update={"cameras": [camera]}),
                          self._names_by_model)
        lanes: dict[tuple[str, str], _Lane] = {}
        for model_id in dict.fromkeys(rule_model(camera, rule) for rule in camera.rules):
            rules = build_rules(camera, model_id, self._names_by_model[model_id])
            needs_tracks = any(rule.needs_tracks for rule in rules)
            tracker = Tracker(frame_rate=camera.analyze_fps) if needs_tracks else None
            lanes[(camera.id, model_id)] = _Lane(rules=rules, tracker=tracker)
        return lanes

    def add_camera(self, camera: CameraConfig) -> None:
        """Start tracking and rules for ``camera`` (replacing any state of the same id).

        Raises :class:`~camfleet.errors.ConfigError` when a rule names an unknown class.
        """
        lanes = self._build_lanes(camera)
        self.remove_camera(camera.id)
        with self._lock:
            self._lanes.update(lanes)

    def remove_camera(self, camera_id: str) -> None:
        """Close ``camera_id``'s open events (hand them to the writer) and forget it."""
        with self._lock:
            keys = [key for key in self._lanes if key[0] == camera_id]
            lanes = [self._lanes.pop(key) for key in keys]
        for lane in lanes:
            self._close_lane(lane)

    @property
    def stats(self) -> AnalyticsStats:
        with self._lock:
            return AnalyticsStats(
                frames_processed=self._frames,
                events_opened=self._opened,
                events_closed=self._closed_events,
                count_deltas=self._count_deltas,
            )

    def on_result(self, frame: Frame, model_id: str, detections: Detections) -> None:
        lane = self._lanes.get((frame.camera_id, model_id))
        if lane is None:
            return
        if frame.wall_time <= 0.0:
            frame = dataclasses.replace(frame, wall_time=self._clock())
        with lane.lock:
            if lane.closed:
                return
            tracked = detections if lane.tracker is None else lane.tracker.update(frame, detections)
            out = RuleOutput()
            for rule in lane.rules:
                out.extend(rule.update(frame, tracked))
            with self._lock:
                self._frames += 1
            self._emit(out)

    def close(self) -> None:
        """Close every open event (ending at its last sighting) and hand it to the writer.

        The writer itself belongs to the caller, who closes (and so flushes) it afterwards.
        """
        with self._lock:
            if self._closed:
                return
            self._closed = True
            lanes = list(self._lanes.values())
        for lane in lanes:
            self._close_lane(lane)

    def _close_lane(self, lane: _Lane) -> None:
        with lane.lock:
            if lane.closed:
                return
            lane.closed = True
            out = RuleOutput()
            for rule in lane.rules:
                out.extend(rule.close())
            self._emit(out)

    def _emit(self, out: RuleOutput) -> None:
        with self._lock:
            for event in out.events:
                if event.ended_at is None:
                    self._open_ids.add(event.event_id)
                    self._opened += 1
                else:
                    if event.event_id in self._open_ids:
                        self._open_ids.discard(event.event_id)
                    else:  # opened and closed at once (a line crossing)
                        self._opened += 1
                    self._closed_events += 1
            if out.counts:
                self._count_deltas += len(out.counts)
        for event in out.events:
            self._writer.put_event(event)
        if out.counts:
            self._writer.put_counts(out.counts)
