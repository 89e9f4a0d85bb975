"""What every rule shares: its binding to a camera and model, and what it emits."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import ClassVar

import numpy as np
import numpy.typing as npt

from camfleet.analytics.event_state import OpenEvent
from camfleet.analytics.geometry import anchors, points_in_polygon
from camfleet.analytics.regions import to_pixels
from camfleet.analytics.schema import LineConfig, RuleConfig, ZoneConfig
from camfleet.events import CountDelta, Event
from camfleet.frames import Detections, Frame

__all__ = ["Rule", "RuleBinding", "RuleOutput", "minute_of"]


def minute_of(wall_time: float) -> int:
    """The count bucket of a wall-clock time: whole minutes since the Unix epoch."""
    return int(wall_time // 60.0)


@dataclass(slots=True)
class RuleOutput:
    """Records a rule produced for one frame (or at close)."""

    events: list[Event] = field(default_factory=list)
    counts: list[CountDelta] = field(default_factory=list)

    def extend(self, other: RuleOutput) -> None:
        self.events.extend(other.events)
        self.counts.extend(other.counts)


@dataclass(frozen=True, slots=True)
class RuleBinding:
    """One configured rule bound to its camera, model and class ids."""

    camera_id: str
    model_id: str
    rule_id: str
    config: RuleConfig
    names: Mapping[int, str]
    zone: ZoneConfig | None = None
    line: LineConfig | None = None
    frame_size: tuple[int, int] | None = None

    @property
    def class_ids(self) -> npt.NDArray[np.int32] | None:
        """Watched class ids; ``None`` when the rule watches every class."""
        if not self.config.classes:
            return None
        by_name = {name: class_id for class_id, name in self.names.items()}
        return np.array([by_name[c] for c in self.config.classes if c in by_name], np.int32)

    @property
    def class_label(self) -> str:
        return ",".join(self.config.classes) or "any"

    @property
    def region(self) -> str | None:
        if self.zone is not None:
            return self.zone.name
        return self.line.name if self.line is not None else None

    def open_event(
        self,
        frame: Frame,
        key: str,
        *,
        start_seq: int | None = None,
        started_at: float | None = None,
    ) -> OpenEvent:
        return OpenEvent(
            camera_id=self.camera_id,
            model_id=self.model_id,
            rule_id=self.rule_id,
            kind=self.config.type,
            key=key,
            region=self.region,
            names=self.names,
            frame=frame,
            start_seq=start_seq,
            started_at=started_at,
        )


class Rule(ABC):
    """Turns one camera's per-frame detections of one model into events and counts.

    ``update`` is called for every analysed frame in capture order, on the results thread;
    ``close`` once at shutdown, closing whatever is still open.
    """

    needs_tracks: ClassVar[bool] = False

    def __init__(self, binding: RuleBinding) -> None:
        self.binding = binding
        self._class_ids = binding.class_ids
        self._zone_cache: tuple[int, int, npt.NDArray[np.float64]] | None = None

    def zone_polygon(self, frame: Frame) -> npt.NDArray[np.float64] | None:
        """The zone in this frame's pixels (cached per frame size)."""
        zone = self.binding.zone
        if zone is None:
            return None
        cache = self._zone_cache
        if cache is None or cache[0] != frame.width or cache[1] != frame.height:
            polygon = to_pixels(
                zone.polygon, zone.coords, self.binding.frame_size, frame.width, frame.height
            )
            cache = (frame.width, frame.height, polygon)
            self._zone_cache = cache
        return cache[2]

    def select(self, frame: Frame, detections: Detections) -> npt.NDArray[np.bool_]:
        """Mask of the detections this rule watches: its classes, anchored in its zone."""
        mask = np.ones(len(detections), np.bool_)
        if self._class_ids is not None:
            mask &= np.isin(detections.class_id, self._class_ids)
        polygon = self.zone_polygon(frame)
        if polygon is not None and mask.any():
            mask &= points_in_polygon(anchors(detections.xyxy), polygon)
        return mask

    @abstractmethod
    def update(self, frame: Frame, detections: Detections) -> RuleOutput: ...

    @abstractmethod
    def close(self) -> RuleOutput: ...
